#!/usr/bin/env bash
# Installs the Debian packages JadeDB needs to build and test. Idempotent: installs only what
# is missing, and does nothing (not even apt-get update) when everything is present.
set -euo pipefail

PACKAGES=(
  # toolchain and tests
  g++ cmake ninja-build make pkg-config libgtest-dev libgmock-dev
  # block compression (LSM tables)
  libsnappy-dev liblz4-dev libzstd-dev
  # network server
  libasio-dev redis-tools
  # jadedb-bench peers, and Redis for the server benchmark
  librocksdb-dev libleveldb-dev liblmdb-dev libwiredtiger-dev libsqlite3-dev redis-server
  # fuzzing (libFuzzer)
  clang libclang-rt-14-dev
)
# Optional speed-ups: installed when the package exists, never required.
OPTIONAL=(ccache)

missing=()
for p in "${PACKAGES[@]}" "${OPTIONAL[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Required packages must install; optional ones are attempted one by one.
required=()
for p in "${missing[@]}"; do
  case " ${OPTIONAL[*]} " in
    *" $p "*) ;;
    *) required+=("$p") ;;
  esac
done
if [ ${#required[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${required[@]}"
fi
for p in "${OPTIONAL[@]}"; do
  case " ${missing[*]} " in
    *" $p "*) $SUDO apt-get install -y -qq --no-install-recommends "$p" || \
                echo "deps.sh: optional package $p not installed" >&2 ;;
  esac
done
