# Developer entry points. `make run` and `make test` are the two commands README promises.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
TSAN_DIR  ?= build-tsan
JOBS      ?= $(shell nproc)
DATA_DIR  ?= ./jadedb-data

.PHONY: all deps configure build run test test-asan test-tsan test-crash test-stress clean format

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

format:
	find include src tools tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR)
