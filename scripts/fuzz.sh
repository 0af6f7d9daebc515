#!/bin/sh
# The `make fuzz` run: builds the libFuzzer targets (clang, ASan, UBSan)
# in build/fuzz and runs each for FUZZ_SECONDS (default 60) on a fresh copy
# of its seed corpus (tests/fuzz/corpus/TARGET -> build/fuzz/corpus-TARGET),
# so the repository is never modified. Prints one summary line per target
# and exits non-zero when any target crashed or broke a property; the
# input that did it is left in build/fuzz/artifacts/.
#
#   FUZZ_SECONDS=300 sh scripts/fuzz.sh
#   FUZZ_TARGETS="fuzz_hosts" sh scripts/fuzz.sh
set -eu
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"fuzz_desired fuzz_config fuzz_hosts fuzz_dnsname fuzz_follow fuzz_resolved"}
build=build/fuzz
bindir=$build/tests/fuzz
jobs=$(nproc 2>/dev/null || echo 2)

if ! grep -q 'DW_FUZZ' CMakeLists.txt; then
	echo "fuzz.sh: CMakeLists.txt has no DW_FUZZ option; add tests/fuzz" \
	    "as described in tests/fuzz/CMakeLists.txt" >&2
	exit 2
fi
if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz.sh: clang not found (Debian: apt-get install clang" \
	    "libclang-rt-dev)" >&2
	exit 2
fi

mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DDW_FUZZ=ON -DDW_BUILD_TESTS=OFF >"$build/configure.log" 2>&1 || {
	cat "$build/configure.log" >&2
	exit 2
}
cmake --build "$build" --target fuzzers -j "$jobs" >"$build/build.log" 2>&1 || {
	cat "$build/build.log" >&2
	exit 2
}
mkdir -p "$build/artifacts"

failed=0
summary=""
for t in $targets; do
	corpus=$build/corpus-${t#fuzz_}
	log=$build/$t.log
	rm -rf "$corpus"
	mkdir -p "$corpus"
	cp tests/fuzz/corpus/"${t#fuzz_}"/* "$corpus"/
	echo "fuzz.sh: running $t for $seconds s (log: $log)"
	rc=0
	# A fixed seed (FUZZ_SEED, default 1) makes a failing run easier to
	# repeat; FUZZ_SEED=0 lets libFuzzer pick one.
	"$bindir/$t" -max_total_time="$seconds" -timeout=10 \
	    -seed="${FUZZ_SEED:-1}" \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$build/artifacts/$t-" "$corpus" >"$log" 2>&1 ||
	    rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	if [ "$rc" -eq 0 ] && ! grep -qE '^==[0-9]+==ERROR|property violated|^SUMMARY: ' "$log"; then
		status=ok
	else
		status="FAILED (exit $rc)"
		failed=1
		echo "fuzz.sh: $t failed; the end of its log:" >&2
		tail -n 40 "$log" >&2
		ls "$build/artifacts/$t-"* 2>/dev/null >&2 || true
	fi
	line=$(printf '%-13s %s: %s execs in %s s, cov %s edges, ft %s features, corpus %s inputs' \
	    "$t" "$status" "${execs:-?}" "${secs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")
	summary="$summary$line
"
done

printf '\n%s' "$summary"
exit "$failed"
