# The two commands of the README: `make run` and `make test`. Both install what is missing,
# configure and build first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test bench lint clean

all: build

deps:
	@tools/install_deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/sim/sim_run --net configs/vgg8.yaml

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

bench: build
	$(BUILD)/bench/bench_array
	$(BUILD)/bench/bench_platform
	bench/bench_vgg8.sh $(BUILD)

lint: deps
	ctest --test-dir $(BUILD) -R rtl_lint --output-on-failure

clean:
	rm -rf $(BUILD)
