#!/bin/sh
# `make bench`: builds the benchmark program in Release (build/bench), runs
# the in-process and the daemon benchmarks, writes build/bench/results.json
# and prints a Markdown table on stdout (progress goes to stderr).
# Extra arguments go to the program: --only passes,growth,storm,idle,release,once
# runs a part; --runs N changes the repetitions (default 21; growth 11).
# The daemon benchmarks work in a scratch folder under /tmp, each daemon
# with its own control socket; /etc/hosts is never touched. Linux only.
set -eu
cd "$(dirname "$0")/.."
out=build/bench
jobs=$(nproc 2>/dev/null || echo 2)

if ! grep -q '^[^#]*add_subdirectory(bench)' CMakeLists.txt; then
	echo "bench.sh: CMakeLists.txt does not add bench/ (add_subdirectory(bench))" >&2
	exit 1
fi
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DDW_BUILD_TESTS=OFF >&2
cmake --build "$out" --target dw_bench -j "$jobs" >&2
exec "$out/bench/dw_bench" --json "$out/results.json" "$@"
