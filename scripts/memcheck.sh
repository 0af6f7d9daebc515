#!/bin/sh
# Memory checks: the native test executables under valgrind memcheck (no
# invalid access, no definite or indirect leak), the CLI integration test
# with the dnswatchdog processes it starts traced too, and a daemon session
# under memcheck (start, status, reconcile, drift, reload, SIGTERM).
# The daemon's integration test is not run under valgrind: its deadlines
# assume native speed. The systemd-resolved test runs with every
# dnswatchdog process it starts under memcheck; there only valgrind's
# findings count (its scenarios' deadlines assume native speed too).
set -eu
build=${1:-build/dev}
vg="valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
fail=0

for t in test_hosts test_nrpt test_backoff test_dnsname test_desired \
    test_hostsjob test_journal test_coalesce test_tlg test_trace test_config \
    test_hostsfile test_loop test_control test_sources test_cli \
    test_resolved test_resolvedpass; do
	exe="$build/tests/$t"
	[ -x "$exe" ] || { echo "memcheck: $exe missing" >&2; exit 1; }
	children=""
	[ "$t" = test_cli ] && children="--trace-children=yes"
	# shellcheck disable=SC2086
	if $vg $children "$exe" > "$build/memcheck-$t.log" 2>&1; then
		echo "memcheck: $t: clean"
	else
		echo "memcheck: $t: FAILED (see $build/memcheck-$t.log)"
		tail -n 30 "$build/memcheck-$t.log"
		fail=1
	fi
done

# A daemon session under memcheck.
dir=$(mktemp -d /tmp/dw-memcheck-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/config.json" <<JSON
{ "desired_state": "desired.json", "hosts": { "path": "hosts" },
  "trace": { "jsonl": "trace.jsonl" }, "control": { "socket": "$dir/ctl.sock" },
  "daemon": { "quiet_ms": 100, "max_delay_ms": 500 } }
JSON
printf '{"version":1,"hosts":[{"address":"100.64.0.7","names":["build.coder"]}]}' > "$dir/desired.json"
printf '127.0.0.1 localhost\n' > "$dir/hosts"
# shellcheck disable=SC2086
$vg "$build/dnswatchdog" --config "$dir/config.json" run > "$dir/daemon.log" 2>&1 &
pid=$!
i=0
until "$build/dnswatchdog" --config "$dir/config.json" status > /dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 300 ] || { echo "memcheck: the daemon did not answer"; cat "$dir/daemon.log"; exit 1; }
	sleep 0.1
done
"$build/dnswatchdog" --config "$dir/config.json" status --json > /dev/null
"$build/dnswatchdog" --config "$dir/config.json" reconcile > /dev/null
printf '127.0.0.1 localhost\n10.0.0.1 other\n' > "$dir/hosts"	# drift
printf '{"version":1,"hosts":[{"address":"100.64.0.8","names":["t.coder"]}]}' > "$dir/desired.json"
i=0
until grep -q "t.coder" "$dir/hosts" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || { echo "memcheck: the daemon did not converge"; cat "$dir/daemon.log"; exit 1; }
	sleep 0.1
done
kill -HUP "$pid"
"$build/dnswatchdog" --config "$dir/config.json" reconcile > /dev/null
kill -TERM "$pid"
if wait "$pid"; then
	echo "memcheck: daemon session: clean"
else
	echo "memcheck: daemon session: FAILED"
	cat "$dir/daemon.log"
	fail=1
fi
# The systemd-resolved backend, on the bus, in the test's namespaces.
vgdir=$(mktemp -d /tmp/dw-memcheck-rs-XXXXXX)
bin=$(cd "$build" && pwd)/dnswatchdog
# --quiet: a clean process leaves an empty log.
cat > "$vgdir/dw" <<SH
#!/bin/sh
: > $vgdir/ran.\$\$
exec $vg --log-file=$vgdir/vg.%p.log $bin "\$@"
SH
chmod +x "$vgdir/dw"
rc=0
sh tests/integration/resolved/test_resolved_ns.sh "$vgdir/dw" \
    "$build/tests/dnsresp" .deps/resolved/root > "$vgdir/test.log" 2>&1 ||
    rc=$?
if [ "$rc" -eq 77 ]; then
	echo "memcheck: resolved session: skipped ($(tail -n 1 "$vgdir/test.log"))"
elif ! ls "$vgdir"/ran.* > /dev/null 2>&1; then
	echo "memcheck: resolved session: FAILED (no process ran)"
	cat "$vgdir/test.log"
	fail=1
elif [ -n "$(find "$vgdir" -name 'vg.*.log' -size +0)" ]; then
	echo "memcheck: resolved session: FAILED"
	find "$vgdir" -name 'vg.*.log' -size +0 -exec cat {} + | head -n 60
	fail=1
else
	echo "memcheck: resolved session: clean ($(ls "$vgdir"/ran.* | wc -l)" \
	    "processes; the scenarios: $(grep -c PASS "$vgdir/test.log") passed)"
fi
rm -rf "$vgdir"
exit $fail
