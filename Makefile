# Thin wrapper over the CMake presets. `make test`, `make run` and the
# other targets that run something install missing Debian packages first
# (`make deps`: scripts/deps.sh; the Windows cross-build also
# scripts/mingw-deps.sh), so a fresh machine needs nothing else. `make
# build` and `make build-windows` only build: they install nothing.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO := build/demo

.PHONY: all deps build test test-native test-windows test-asan build-windows \
	deps-windows run clean memcheck lint bench fuzz package package-deb \
	package-msi build-release test-package

all: build

deps:
	@sh scripts/deps.sh

build:
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)

# The whole suite: native, then the Windows build under Wine.
test: test-native test-windows

test-native: deps
	@$(MAKE) --no-print-directory build
	ctest --preset dev -j $(JOBS)

deps-windows: deps
	@sh scripts/mingw-deps.sh

# Leaves build/mingw/dnswatchdog.exe (after `make deps-windows` once).
build-windows:
	cmake --preset mingw
	cmake --build --preset mingw -j $(JOBS)

test-windows: deps-windows
	@$(MAKE) --no-print-directory build-windows
	ctest --preset mingw

test-asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# The native tests, the CLI's processes and a daemon session under
# valgrind memcheck: no invalid access, no definite or indirect leak.
memcheck: deps
	@$(MAKE) --no-print-directory build
	@sh scripts/deps.sh valgrind
	sh scripts/memcheck.sh build/dev

# Static analysis (cppcheck: warning, performance and portability
# checks over all the product's code), clean.
lint:
	@sh scripts/deps.sh cppcheck
	cppcheck --quiet --enable=warning,performance,portability --std=c11 \
		--inline-suppr --error-exitcode=1 --suppress=missingIncludeSystem \
		-I policy -I etw -I os -I pass -I runtime \
		policy etw os pass runtime

# libFuzzer targets (clang, ASan, UBSan), FUZZ_SECONDS each (default 60).
fuzz: deps
	@sh scripts/deps.sh clang libclang-rt-dev
	@sh scripts/fuzz.sh

# Benchmarks (Linux, and the NRPT wipe under Wine): Release build in
# build/bench, a table on stdout and build/bench/results.json; see
# docs/performance.md.
bench: deps
	@sh scripts/bench.sh

# Runs the watchdog on an embedded demo: a scratch hosts file and a sample
# desired state under build/demo. It never touches /etc/hosts.
# `make run MODE=follow`: the follow-mode demo instead (a scripted
# tunnel's section learned, wiped and put back; scripts/demo-follow.sh).
run: deps
	@$(MAKE) --no-print-directory build
	@if [ "$(MODE)" = follow ]; then \
		sh scripts/demo-follow.sh build/dev/dnswatchdog $(DEMO)-follow; \
	else \
		sh scripts/demo.sh build/dev/dnswatchdog $(DEMO); \
	fi

# Release builds (stripped; debug info in build/*/dnswatchdog*.debug).
build-release:
	cmake --preset release
	cmake --build --preset release -j $(JOBS)
	cmake --preset mingw-release
	cmake --build --preset mingw-release -j $(JOBS)

# dist/dnswatchdog_<version>_amd64.deb, dist/dnswatchdog-<version>-x64.msi
# and dist/SHA256SUMS (see docs/install.md).
package: deps-windows
	@sh scripts/deps.sh wixl msitools lintian dpkg-dev
	@$(MAKE) --no-print-directory build-release
	sh scripts/package-deb.sh build/release dist
	sh scripts/package-msi.sh build/mingw-release dist
	cd dist && sha256sum dnswatchdog_*_amd64.deb dnswatchdog-*-x64.msi >SHA256SUMS

# Checks the packages: tables, an install and uninstall under Wine, the
# .deb in a throwaway root, lintian, no debug sections.
test-package: package
	sh scripts/test-package.sh dist

clean:
	rm -rf build dist
