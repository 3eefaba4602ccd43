# Developer entry points. `make run` and `make test` are the two commands README promises.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
TSAN_DIR  ?= build-tsan
JOBS      ?= $(shell nproc)
DATA_DIR  ?= ./jadedb-data

.PHONY: all deps configure build run test test-asan test-tsan test-crash test-stress clean format
.PHONY: fuzz fuzz-smoke fuzz-smoke-if-clang fuzz-build fuzz-corpus

all: build

deps:
	@scripts/deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/tools/jadedb-server/jadedb-server --dir $(DATA_DIR)

test: build
	cd $(BUILD_DIR) && ctest -L 'unit|conformance' --output-on-failure -j $(JOBS) --timeout 600
	@$(MAKE) --no-print-directory fuzz-smoke-if-clang

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJADEDB_SANITIZE=address
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest -L 'unit|conformance' --output-on-failure -j $(JOBS) --timeout 900

test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJADEDB_SANITIZE=thread
	cmake --build $(TSAN_DIR) -j $(JOBS)
	cd $(TSAN_DIR) && ctest -L 'unit|conformance' --output-on-failure -j $(JOBS) --timeout 900

test-crash: build
	cd $(BUILD_DIR) && ctest -L crash --output-on-failure

test-stress: build
	cd $(BUILD_DIR) && ctest -L stress --output-on-failure

# Fuzzing (tests/fuzz, docs/reliability.md "Fuzzing"): libFuzzer targets built with clang in
# their own build directory, each run for FUZZ_SECONDS on a scratch copy of the seed corpus.
# -Werror is the gcc build's job; here a clang-only warning in the libraries must not stop the
# fuzzing (the fuzz targets themselves are still built with -Werror).
FUZZ_DIR           ?= build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 5

fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DJADEDB_FUZZ=ON -DJADEDB_WERROR=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_all

fuzz: fuzz-build
	tests/fuzz/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	tests/fuzz/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS)

# Part of `make test`: the smoke run needs clang and its libFuzzer runtime (libclang-rt-14-dev).
fuzz-smoke-if-clang:
	@if command -v clang++ >/dev/null 2>&1 && \
	    ls "$$(clang++ -print-runtime-dir 2>/dev/null)"/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory fuzz-smoke; \
	else \
	  echo "make test: clang++ or its libFuzzer runtime is missing: skipping fuzz-smoke" \
	       "(scripts/deps.sh installs clang and libclang-rt-14-dev)"; \
	fi

# Regenerates the seed corpus in tests/fuzz/corpus/ through the real writers.
fuzz-corpus: build
	cmake --build $(BUILD_DIR) --target fuzz_corpus_generator
	$(BUILD_DIR)/tests/fuzz/fuzz_corpus_generator tests/fuzz/corpus

format:
	find include src tools tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR)
