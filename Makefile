# The two commands of the README: `make run` and `make test`. Both install what is missing,
# configure and build first.
BUILD ?= build
JOBS ?= $(shell nproc)
# NATIVE=ON compiles for this machine's CPU (-march=native; see docs/performance.md).
NATIVE ?= OFF

FUZZ_SECONDS ?= 180
FUZZ_TARGETS = hw energy net npy
# clang's UBSan checks more (e.g. float-to-int overflow); g++ works too.
ASAN_CXX ?= $(if $(shell command -v clang++),clang++,c++)

.PHONY: all deps build run test bench lint clean asan fuzz

all: build

deps:
	@tools/install_deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSASIM_NATIVE=$(NATIVE)
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/sim/sim_run --net configs/vgg8.yaml

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

bench: build
	$(BUILD)/bench/bench_array
	$(BUILD)/bench/bench_platform
	bench/bench_vgg8.sh $(BUILD)
	bench/bench_net.sh configs/nets/resnet18_cifar.yaml $(BUILD)
	/usr/bin/python3 bench/bench_speed.py $(BUILD)

lint: deps
	ctest --test-dir $(BUILD) -R rtl_lint --output-on-failure

# The unit tests with ASan + UBSan (sasim's C++ only; the Verilated models are not sanitized).
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(ASAN_CXX) \
	  -DSASIM_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	ctest --test-dir build-asan --output-on-failure -j$(JOBS) $(ASAN_CTEST_ARGS)

# Each libFuzzer target for FUZZ_SECONDS seconds, one after the other, from the seeds in
# tests/data/fuzz/<target>/; new inputs go to build-fuzz/corpus/<target>/, crashes to
# build-fuzz/artifacts/.
fuzz: deps
	@command -v clang++ >/dev/null || { echo "make fuzz needs clang (libFuzzer): apt-get install \
	  clang libclang-rt-dev" >&2; exit 1; }
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DSASIM_FUZZ=ON
	cmake --build build-fuzz -j$(JOBS) --target fuzz_targets
	@mkdir -p build-fuzz/artifacts
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=4096 -dict=tests/fuzz/$$t.dict -artifact_prefix=build-fuzz/artifacts/$$t- \
	    -print_final_stats=1 build-fuzz/corpus/$$t tests/data/fuzz/$$t; \
	done

clean:
	rm -rf $(BUILD) build-asan build-fuzz
