#!/bin/sh
# `make bench`: builds the benchmark program in Release (build/bench), runs
# the in-process and the daemon benchmarks, writes build/bench/results.json
# and prints a Markdown table on stdout (progress goes to stderr).
# Extra arguments go to the program: --only passes,growth,wipe,wipe_nrpt,storm,
# idle,release,once runs some parts; --runs N changes the repetitions (default 21; growth 11).
# The daemon benchmarks work in a scratch folder under /tmp, each daemon
# with its own control socket; /etc/hosts is never touched.
#
# One part runs under Wine, wipe_nrpt (also named with --only): the Windows
# build (MinGW-w64, Release, build/bench/mingw; scripts/mingw-deps.sh
# installs the cross compiler and Wine when they are missing) runs
# bench_win in a private Wine prefix, build/bench/wineprefix, before the
# Linux parts; its JSON joins results.json and the table. When it cannot
# run, it says so here and in the table, and the Linux parts still run.
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

# The parts and the repetitions, as the program reads them.
only="" runs="" prev=""
for a in "$@"; do
	case $prev in
	--only) only=$a ;;
	--runs) runs=$a ;;
	esac
	prev=$a
done

wine_json="$PWD/$out/wipe_nrpt.json"

# Says why the Windows part was not measured, here and in its JSON.
wine_fail() {
	echo "bench.sh: the NRPT wipe under Wine was not measured: $1" >&2
	printf '{"error":"%s"}\n' "$1" >"$wine_json"
}

wine_part() {
	pfx="$PWD/$out/wineprefix"
	rm -f "$wine_json"
	if ! sh scripts/mingw-deps.sh >&2; then
		wine_fail "scripts/mingw-deps.sh failed (MinGW-w64, Wine or the Windows libraries)"
		return 0
	fi
	wine=""
	for w in "$(command -v wine64 || :)" /usr/lib/wine/wine64 \
	    "$(command -v wine || :)"; do
		if [ -n "$w" ] && [ -x "$w" ]; then
			wine=$w
			break
		fi
	done
	wineserver="$(dirname "$wine")/wineserver"
	[ -x "$wineserver" ] || wineserver=$(command -v wineserver || :)
	if [ -z "$wine" ] || [ -z "$wineserver" ]; then
		wine_fail "Wine is not installed (no wine64 or wineserver)"
		return 0
	fi
	if ! { cmake -S . -B "$out/mingw" \
	    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64.cmake" \
	    -DCMAKE_BUILD_TYPE=Release -DDW_BUILD_TESTS=OFF >&2 &&
	    cmake --build "$out/mingw" --target bench_win -j "$jobs" >&2; }; then
		wine_fail "the Windows build in $out/mingw failed"
		return 0
	fi
	# A private prefix, made once (the registry files are written when
	# wineserver exits, hence the wait).
	if [ ! -f "$pfx/system.reg" ]; then
		echo "bench.sh: making the Wine prefix $pfx" >&2
		WINEPREFIX=$pfx WINEDEBUG=-all "$wine" wineboot -i >/dev/null 2>&1 || :
		WINEPREFIX=$pfx "$wineserver" -w || :
	fi
	if [ ! -f "$pfx/system.reg" ]; then
		wine_fail "could not make the Wine prefix $pfx"
		return 0
	fi
	# bench_win has its own limits (10 s a wipe); this one is for Wine.
	if WINEPREFIX=$pfx WINEDEBUG=-all timeout $((120 + ${runs:-21} * 12)) \
	    "$wine" "$out/mingw/bench/bench_win.exe" --json "$wine_json" \
	    ${runs:+--runs "$runs"} >&2; then
		# Nothing of Wine's keeps running beside the Linux parts.
		WINEPREFIX=$pfx "$wineserver" -w || :
		return 0
	fi
	WINEPREFIX=$pfx "$wineserver" -k || :
	if grep -q '"error"' "$wine_json" 2>/dev/null; then
		echo "bench.sh: the NRPT wipe under Wine was not measured (bench_win's error is above and in the table)" >&2
	else
		wine_fail "bench_win did not finish under Wine (crashed or timed out)"
	fi
}

case ",${only:-wipe_nrpt}," in
*,wipe_nrpt,*)
	wine_part
	exec "$out/bench/dw_bench" --json "$out/results.json" \
	    --wine-json "$wine_json" "$@"
	;;
esac
exec "$out/bench/dw_bench" --json "$out/results.json" "$@"
