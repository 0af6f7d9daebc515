# Thin wrapper over the CMake presets. `make test` and `make run` install
# missing Debian packages first (scripts/deps.sh), so a fresh machine needs
# nothing else.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO := build/demo

.PHONY: all deps build test test-asan run clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)

test: build
	ctest --preset dev -j $(JOBS)

test-asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# Runs the watchdog on an embedded demo: a scratch hosts file and a sample
# desired state under build/demo. It never touches /etc/hosts.
run: build
	@sh scripts/demo.sh build/dev/dnswatchdog $(DEMO)

clean:
	rm -rf build
