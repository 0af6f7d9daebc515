#!/bin/sh
# wine-test.sh WINE PROGRAM [ARGS...]: runs one cmocka test program of the
# Windows build under Wine and decides its result.
#
# - Passed only if the program exits 0 and cmocka printed its closing
#   count ("[==========] N test(s) run."). A Wine process whose wineserver
#   goes away is ended by Wine with status 0 wherever it is: without that
#   line, such a run is a failure, never a pass.
# - Run again (at most twice more) only if Wine itself could not reach its
#   wineserver before the program started: the output holds Wine's
#   "wine client error" and none of cmocka's lines. Nothing the program
#   does can print that, so a failure of the program is never retried.
#
# Output (stdout and stderr together, in order) is shown once per run.
set -u
wine=$1
shift
out=$(mktemp "${TMPDIR:-/tmp}/wine-test.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
try=1
while :; do
	"$wine" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	if grep -q '^\[==========\]' "$out" ||
	    ! grep -q '^wine client error' "$out" || [ "$try" -ge 3 ]; then
		break
	fi
	echo "wine-test: Wine could not reach its wineserver before" \
	    "the program ran (status $rc); run $((try + 1)) of 3" >&2
	try=$((try + 1))
done
if [ "$rc" -eq 0 ] && ! grep -q '^\[==========\] [0-9]* test(s) run\.' "$out"; then
	echo "wine-test: $1 exited 0 without cmocka's closing count:" \
	    "it did not run to its end (a lost wineserver ends its" \
	    "processes with status 0)" >&2
	exit 1
fi
exit "$rc"
