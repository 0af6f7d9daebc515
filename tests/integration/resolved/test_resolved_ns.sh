#!/bin/sh
# The systemd-resolved backend against a real systemd-resolved: the
# program's `once` and daemon apply the desired state's NRPT rules to one
# link (dw0) over D-Bus, keep them there when the link is recreated, when
# resolved restarts or when someone reverts them, and never revert
# settings that are not theirs. Everything happens in private mount, net,
# PID and UTS namespaces (ns.sh): the machine's own DNS is never touched.
#
# usage: test_resolved_ns.sh DNSWATCHDOG DNSRESP RESOLVED_ROOT
# Exit status: 0 every scenario passed, 1 one failed, 77 skipped (the
# reason on stderr), 2 usage. The scratch folder (logs, traces, bus
# monitor captures) is kept after a failure, or always with RNS_KEEP=1.
set -u

if [ "${RNS_INNER:-}" != 1 ]; then
	skip() {
		echo "test_resolved_ns: skipped: $*" >&2
		exit 77
	}
	if [ $# -ne 3 ]; then
		echo "usage: test_resolved_ns.sh DNSWATCHDOG DNSRESP RESOLVED_ROOT" >&2
		exit 2
	fi
	[ "$(id -u)" -eq 0 ] ||
	    skip "not root (namespaces, mounts and a veth pair need it)"
	[ -x "$3/lib/systemd/systemd-resolved" ] ||
	    skip "no systemd-resolved unpacked in $3 (scripts/resolved-deps.sh unpacks it)"
	"$3/usr/bin/resolvectl" --version >/dev/null 2>&1 ||
	    skip "the unpacked resolvectl does not run: its libsystemd-shared is missing or another version (scripts/resolved-deps.sh)"
	for t in dbus-daemon dbus-send dbus-monitor ip ss unshare; do
		command -v "$t" >/dev/null 2>&1 ||
		    skip "no $t (scripts/resolved-deps.sh installs it)"
	done
	unshare --mount --net --pid --uts --fork --propagation private \
	    --mount-proc true >/dev/null 2>&1 ||
	    skip "private mount, net, PID and UTS namespaces are not allowed here"
	unshare --net ip link add vt0 type veth peer name vt1 >/dev/null 2>&1 ||
	    skip "no veth links in this kernel"

	here=$(cd "$(dirname "$0")" && pwd)
	dir=$(mktemp -d /tmp/dw-resolved-XXXXXX) || exit 1
	RNS_INNER=1 RNS_DIR=$dir RNS_ROOT=$3 RNS_DNSRESP=$2 RNS_DW=$1 \
	    unshare --mount --net --pid --uts --fork --propagation private \
	    --mount-proc sh "$here/test_resolved_ns.sh"
	rc=$?
	# RNS_KEEP=1 keeps them after a pass too.
	if [ "$rc" -eq 0 ] && [ -z "${RNS_KEEP:-}" ]; then
		rm -rf "$dir"
	else
		echo "test_resolved_ns: logs and traces kept in $dir"
	fi
	exit "$rc"
fi

# Inside the namespaces, as PID 1.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ns.sh"

W=$RNS_DIR
DW=$RNS_DW
CFG=$W/config.json
DESIRED=$W/desired.json
TRACE=$W/trace.jsonl
DAEMON_PID=""
MON_PID=""
MON_SEQ=0
REASON=""
failed=0

cat >"$CFG" <<EOF
{"desired_state":"$DESIRED","hosts":{"path":"$W/hosts"},
 "trace":{"jsonl":"$TRACE"},"control":{"socket":"$W/ctl.sock"},
 "daemon":{"quiet_ms":50,"max_delay_ms":200},
 "resolved":{"enabled":true,"link":"$RNS_LINK","default_route":false,
  "state":"$W/resolved-link.json"}}
EOF
printf '127.0.0.1 localhost\n' >"$W/hosts"
: >"$TRACE"

desired_rule() {
	printf '{"version":1,"nrpt":[{"domains":["%s"],"servers":["%s"]}]}\n' \
	    "$RNS_ZONE" "$RNS_SERVER" >"$DESIRED"
}
desired_none() {
	printf '{"version":1,"nrpt":[]}\n' >"$DESIRED"
}

# fail REASON: records why the scenario failed, with what resolved holds.
fail() {
	REASON="$1; $(link_state)"
	return 1
}

# The trace's lines after a mark (a line count taken with trace_mark).
trace_mark() {
	wc -l <"$TRACE"
}
trace_since() {
	tail -n "+$(($1 + 1))" "$TRACE"
}
# trace_has MARK EVENT [PATTERN]: an EVENT line after MARK (matching
# PATTERN, a grep -E expression, when given).
trace_has() {
	trace_since "$1" | grep -E "\"event\": *\"$2\"" |
	    grep -qE "${3:-.}"
}
# trace_in_pass MARK TRIGGER EVENT [PATTERN]: an EVENT line after MARK
# in a pass (the same activity) that a TRIGGER started (an awk ERE):
# the daemon reacted to that event source, not to another one.
trace_in_pass() {
	trace_since "$1" | awk -v trig="$2" -v ev="$3" -v pat="${4:-.}" '
	function field(name,	v) {
		if (!match($0, "\"" name "\": *\"[^\"]*\""))
			return ""
		v = substr($0, RSTART, RLENGTH)
		sub(/^[^:]*: *"/, "", v)
		sub(/"$/, "", v)
		return v
	}
	field("event") == "ReconcileStart" && field("trigger") ~ ("^(" trig ")$") {
		pass[field("activity")] = 1
	}
	field("event") == ev && (field("activity") in pass) && $0 ~ pat {
		found = 1
	}
	END { exit !found }'
}
# The events after MARK, for failure messages; a pass's start with its
# trigger.
trace_events() {
	trace_since "$1" | sed -n \
	    -e 's/.*"event": *"ReconcileStart".*"trigger": *"\([^"]*\)".*/ReconcileStart(\1)/p' \
	    -e '/"event": *"ReconcileStart"/d' \
	    -e 's/.*"event": *"\([A-Za-z]*\)".*/\1/p' | tr '\n' ' '
}

# One `once`, its output kept in once.out.
dw_once() {
	local rc
	"$DW" --config "$CFG" once >"$W/once.out" 2>&1
	rc=$?
	{ echo "--- once ($1): exit $rc"; cat "$W/once.out"; } >>"$W/once.log"
	[ "$rc" -eq 0 ] ||
	    fail "once ($1) exited $rc: $(tail -n 3 "$W/once.out" | tr '\n' ' ')"
}

# Whether the daemon ended its first pass since MARK, or exited.
daemon_started() {
	trace_has "$1" ReconcileEnd || ! kill -0 "$DAEMON_PID" 2>/dev/null
}
# Starts the daemon and waits for the end of its first pass.
daemon_start() {
	local mark
	mark=$(trace_mark)
	"$DW" --config "$CFG" run >"$W/daemon.out" 2>&1 &
	DAEMON_PID=$!
	wait_until 3000 daemon_started "$mark"
	kill -0 "$DAEMON_PID" 2>/dev/null ||
	    { fail "the daemon exited: $(tail -n 3 "$W/daemon.out" | tr '\n' ' ')"; return 1; }
	trace_has "$mark" ReconcileEnd ||
	    fail "the daemon ended no pass within 3 s"
}
daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
	{ echo "--- run"; cat "$W/daemon.out"; } >>"$W/daemon.log"
}

# The method calls to resolved (its Manager and Link interfaces) seen on
# the bus between monitor_start and monitor_stop, in FILE. A marker call
# (GetLink on an ifindex no link has, a harmless read) proves the monitor
# listens: it is sent until the monitor shows it, since the monitor
# starts listening some time after it starts. A second one after the
# window proves every call before it has been written.
monitor_marker() {
	bus_call org.freedesktop.resolve1 /org/freedesktop/resolve1 \
	    org.freedesktop.resolve1.Manager.GetLink \
	    "int32:$((900000 + MON_SEQ))" >/dev/null 2>&1
	grep -q "int32 $((900000 + MON_SEQ))" "$MON_FILE"
}
monitor_sync() {
	MON_SEQ=$((MON_SEQ + 1))
	wait_until 2000 monitor_marker ||
	    fail "the bus monitor did not see the marker call"
}
monitor_start() {
	MON_FILE=$1
	dbus-monitor --system \
	    "type='method_call',interface='org.freedesktop.resolve1.Manager'" \
	    "type='method_call',interface='org.freedesktop.resolve1.Link'" \
	    >"$MON_FILE" 2>&1 &
	MON_PID=$!
	monitor_sync
}
monitor_stop() {
	monitor_sync || return 1
	kill -TERM "$MON_PID" 2>/dev/null
	wait "$MON_PID" 2>/dev/null
	MON_PID=""
}
# The calls that change a link, from the monitor's file.
setter_calls() {
	grep -oE 'interface=org\.freedesktop\.resolve1\.Manager; member=(SetLink[A-Za-z]*|RevertLink)|interface=org\.freedesktop\.resolve1\.Link; member=(Set[A-Za-z]*|Revert)' \
	    "$1" | sed 's/.*member=//' | tr '\n' ' '
}

# Whether the link holds exactly the rule: the server, the domain as
# routing-only, and not a default route, set as such (resolved's saved
# state has DEFAULT_ROUTE only when SetLinkDefaultRoute ran; its
# effective value is "no" for a link with only routing domains anyway).
# The saved state first: the cheap read fails fast while waiting.
link_applied() {
	[ "$(link_saved DEFAULT_ROUTE)" = no ] &&
	[ "$(link_dns)" = "$RNS_SERVER" ] &&
	[ "$(link_domains)" = "~$RNS_ZONE" ] &&
	[ "$(link_default_route)" = no ]
}
link_empty() {
	[ -z "$(link_dns)" ] && [ -z "$(link_domains)" ]
}
# What someone else put on the link in scenario f.
link_foreign() {	# link_foreign SERVER
	[ "$(link_dns)" = "$1" ] && [ "$(link_domains)" = "~other.example" ]
}

# Back to a known start: no daemon, resolved up, dw0 there with nothing
# set, the rule desired.
reset() {
	daemon_stop
	if [ -n "$MON_PID" ]; then
		kill -TERM "$MON_PID"
		wait "$MON_PID" 2>/dev/null
		MON_PID=""
	fi
	resolved_running || resolved_start || return 1
	[ -n "$(link_ifindex)" ] || link_create || return 1
	"$RESOLVECTL" revert "$RNS_LINK"
	desired_rule
	REASON=""
}

# The environment itself: resolved routes a domain set by hand to the
# responder. If this fails, the scenarios below cannot mean anything.
sc_harness() {
	"$RESOLVECTL" dns "$RNS_LINK" "$RNS_SERVER" &&
	"$RESOLVECTL" domain "$RNS_LINK" "~$RNS_ZONE" ||
	    { fail "resolvectl could not set the link"; return 1; }
	: >"$W/dnsresp.log"
	"$RESOLVECTL" query "h.$RNS_ZONE" 2>&1 | grep -q "$RNS_ANSWER" ||
	    { fail "no answer for h.$RNS_ZONE"; return 1; }
	grep -qx "h.$RNS_ZONE" "$W/dnsresp.log" ||
	    { fail "the query did not reach the responder"; return 1; }
	"$RESOLVECTL" revert "$RNS_LINK"
	link_empty || fail "resolvectl revert left settings"
}

# a. once sets the link's server and routing domain; a name in the
# domain goes to the responder, one outside it does not.
sc_a() {
	local mark ifx out
	mark=$(trace_mark)
	ifx=$(link_ifindex)
	# plan says what the link holds and what a pass would set, and sets
	# nothing.
	out=$("$DW" --config "$CFG" plan 2>&1)
	echo "$out" | grep -qF "resolved $RNS_LINK (ifindex $ifx): holds dns [] domains [] default_route no" &&
	echo "$out" | grep -qF "would set dns [$RNS_SERVER] domains [~$RNS_ZONE] default_route no" ||
	    { fail "plan does not show the link and the change: $(echo "$out" | tr '\n' ' ')"; return 1; }
	link_empty || { fail "plan changed the link"; return 1; }
	dw_once first || return 1
	link_applied || { fail "the rule is not on the link after once"; return 1; }
	out=$("$DW" --config "$CFG" plan 2>&1)
	echo "$out" | grep -qF "resolved $RNS_LINK (ifindex $ifx): unchanged" ||
	    { fail "plan after once does not say unchanged: $(echo "$out" | tr '\n' ' ')"; return 1; }
	trace_has "$mark" ResolvedLinkSet "\"ifindex\": *$ifx([^0-9]|$)" ||
	    { fail "no ResolvedLinkSet for ifindex $ifx in the trace (events: $(trace_events "$mark"))"; return 1; }
	: >"$W/dnsresp.log"
	"$RESOLVECTL" query "x.$RNS_ZONE" >"$W/query.out" 2>&1
	grep -q "$RNS_ANSWER" "$W/query.out" ||
	    { fail "x.$RNS_ZONE did not resolve to $RNS_ANSWER: $(head -n 1 "$W/query.out")"; return 1; }
	grep -qx "x.$RNS_ZONE" "$W/dnsresp.log" ||
	    { fail "x.$RNS_ZONE did not reach the responder"; return 1; }
	"$RESOLVECTL" query y.other.example >/dev/null 2>&1
	! grep -q "other.example" "$W/dnsresp.log" ||
	    fail "y.other.example reached the responder (the link took more than the domain)"
}

# b. A second once changes nothing: no setter call on the bus at all. The
# first once, under the same monitor, shows the monitor sees setters.
sc_b() {
	local mark calls
	monitor_start "$W/monitor-b1" || return 1
	dw_once first || return 1
	monitor_stop || return 1
	calls=$(setter_calls "$W/monitor-b1")
	[ -n "$calls" ] ||
	    { fail "positive control: the monitor saw no setter call during the first once"; return 1; }
	mark=$(trace_mark)
	monitor_start "$W/monitor-b2" || return 1
	dw_once second || return 1
	monitor_stop || return 1
	calls=$(setter_calls "$W/monitor-b2")
	[ -z "$calls" ] ||
	    { fail "the second once called $calls"; return 1; }
	trace_has "$mark" ResolvedUnchanged ||
	    { fail "no ResolvedUnchanged in the second once's trace (events: $(trace_events "$mark"))"; return 1; }
	! trace_has "$mark" ResolvedLinkSet ||
	    { fail "ResolvedLinkSet in the second once's trace"; return 1; }
	link_applied || fail "the rule is not on the link after the second once"
}

# c. The daemon puts the rule back within a second after someone
# reverts the link; its status names the link.
sc_c() {
	local mark t0 ms ifx out obj
	daemon_start || return 1
	wait_until 1000 link_applied ||
	    { fail "the daemon's first pass did not apply the rule"; return 1; }
	ifx=$(link_ifindex)
	out=$("$DW" --config "$CFG" status --json 2>&1)
	echo "$out" >"$W/status.out"
	obj=$(echo "$out" | tr -d '\n' | sed -n 's/.*"resolved": *{\([^}]*\)}.*/\1/p')
	echo "$obj" | grep -qE "\"link\": *\"$RNS_LINK\"" &&
	echo "$obj" | grep -qE "\"ifindex\": *$ifx([^0-9]|$)" ||
	    { fail "status has no resolved object with $RNS_LINK and ifindex $ifx: $(echo "$out" | tr '\n' ' ' | cut -c1-300)"; return 1; }
	mark=$(trace_mark)
	t0=$(now_ms)
	"$RESOLVECTL" revert "$RNS_LINK"
	wait_until 1000 link_applied ||
	    { fail "not back within 1 s of resolvectl revert"; return 1; }
	ms=$(($(now_ms) - t0))
	wait_until 1000 trace_in_pass "$mark" resolved ResolvedLinkSet ||
	    { fail "no ResolvedLinkSet in a pass started by resolved's signal (events: $(trace_events "$mark"))"; return 1; }
	REASON="back in $ms ms"
}

# d. The link deleted and made again: the rule on the new ifindex.
sc_d() {
	local mark old new t0 ms
	daemon_start || return 1
	wait_until 1000 link_applied ||
	    { fail "the daemon's first pass did not apply the rule"; return 1; }
	old=$(link_ifindex)
	mark=$(trace_mark)
	t0=$(now_ms)
	link_recreate || { fail "could not recreate the link"; return 1; }
	new=$(link_ifindex)
	[ -n "$new" ] && [ "$new" != "$old" ] ||
	    { fail "the new link has ifindex '$new', the old one had '$old'"; return 1; }
	wait_until 3000 link_applied ||
	    { fail "the rule is not on the new link (ifindex $new) within 3 s (events: $(trace_events "$mark"))"; return 1; }
	ms=$(($(now_ms) - t0))
	wait_until 1000 trace_in_pass "$mark" "network|vpn" ResolvedLinkSet \
	    "\"ifindex\": *$new([^0-9]|$)" ||
	    { fail "no ResolvedLinkSet for ifindex $new in a pass started by the link (events: $(trace_events "$mark"))"; return 1; }
	REASON="ifindex $old -> $new, applied in $ms ms"
}

# e. resolved restarted without its saved link state: the daemon applies
# the rule again.
sc_e() {
	local mark t0 ms
	daemon_start || return 1
	wait_until 1000 link_applied ||
	    { fail "the daemon's first pass did not apply the rule"; return 1; }
	mark=$(trace_mark)
	resolved_stop || { fail "resolved did not stop"; return 1; }
	# Else resolved restores the settings itself and nothing is tested.
	rm -rf /run/systemd/resolve/netif
	t0=$(now_ms)
	resolved_start || { fail "resolved did not start again"; return 1; }
	wait_until 3000 link_applied ||
	    { fail "the rule is not back within 3 s of resolved's restart (events: $(trace_events "$mark"))"; return 1; }
	ms=$(($(now_ms) - t0))
	wait_until 1000 trace_in_pass "$mark" resolved ResolvedLinkSet ||
	    { fail "no ResolvedLinkSet in a pass started by resolved's return (events: $(trace_events "$mark"))"; return 1; }
	# resolved's absence, if a pass saw it, is said with a reason.
	! trace_has "$mark" ResolvedUnavailable '"reason": *""' ||
	    { fail "ResolvedUnavailable with an empty reason: $(trace_since "$mark" | grep ResolvedUnavailable | head -n 1)"; return 1; }
	REASON="applied $ms ms after resolved took its name again"
}

# f. Settings someone else put on the link stay, with no rule desired,
# under once and under the daemon; our own are reverted.
sc_f() {
	local mark calls
	desired_none
	"$RESOLVECTL" dns "$RNS_LINK" 10.77.0.5 &&
	"$RESOLVECTL" domain "$RNS_LINK" "~other.example" ||
	    { fail "resolvectl could not set the link"; return 1; }
	mark=$(trace_mark)
	monitor_start "$W/monitor-f1" || return 1
	dw_once "foreign settings" || return 1
	monitor_stop || return 1
	link_foreign 10.77.0.5 ||
	    { fail "once changed settings that were not its own"; return 1; }
	calls=$(setter_calls "$W/monitor-f1")
	[ -z "$calls" ] ||
	    { fail "once called $calls on foreign settings"; return 1; }
	trace_has "$mark" ResolvedLinkLeft ||
	    { fail "no ResolvedLinkLeft from once (events: $(trace_events "$mark"))"; return 1; }

	# The daemon, woken by someone else's change (resolved signals it).
	daemon_start || return 1
	monitor_start "$W/monitor-f2" || return 1
	mark=$(trace_mark)
	"$RESOLVECTL" dns "$RNS_LINK" 10.77.0.6
	wait_until 2000 trace_in_pass "$mark" resolved ResolvedLinkLeft ||
	    { fail "no ResolvedLinkLeft in a pass started by resolved's signal (events: $(trace_events "$mark"))"; return 1; }
	wait_until 1000 trace_in_pass "$mark" resolved ReconcileEnd
	monitor_stop || return 1
	link_foreign 10.77.0.6 ||
	    { fail "the daemon changed settings that were not its own"; return 1; }
	# All but resolvectl's own call (SetLinkDNSEx in resolved 252; the
	# daemon sends SetLinkDNS).
	calls=$(setter_calls "$W/monitor-f2" | sed 's/SetLinkDNSEx //')
	[ -z "$calls" ] ||
	    { fail "the daemon called $calls on foreign settings"; return 1; }
	daemon_stop

	# The counterpart: our own settings, no longer desired, go.
	"$RESOLVECTL" revert "$RNS_LINK"
	desired_rule
	dw_once "the rule" || return 1
	link_applied || { fail "once did not apply the rule"; return 1; }
	desired_none
	mark=$(trace_mark)
	monitor_start "$W/monitor-f3" || return 1
	dw_once "no rule" || return 1
	monitor_stop || return 1
	link_empty ||
	    { fail "once left its own settings when no rule is desired"; return 1; }
	trace_has "$mark" ResolvedLinkReverted ||
	    { fail "no ResolvedLinkReverted (events: $(trace_events "$mark"))"; return 1; }
	calls=$(setter_calls "$W/monitor-f3")
	[ -n "$calls" ] ||
	    fail "positive control: the monitor saw no call while once reverted"
}

# g. No resolved on the bus: once says so with a reason and still
# manages the hosts file; the daemon says so once over several passes,
# shows it in status, and sets the link when resolved comes.
sc_g() {
	local mark n out
	printf '{"version":1,"nrpt":[{"domains":["%s"],"servers":["%s"]}],%s}\n' \
	    "$RNS_ZONE" "$RNS_SERVER" \
	    '"hosts":[{"address":"10.77.0.7","names":["g.example"]}]' \
	    >"$DESIRED"
	resolved_stop || { fail "resolved did not stop"; return 1; }
	mark=$(trace_mark)
	dw_once "no resolved" || return 1
	trace_has "$mark" ResolvedUnavailable '"reason": *"[^"]+"' ||
	    { fail "no ResolvedUnavailable with a reason from once (events: $(trace_events "$mark"))"; return 1; }
	grep -q '^10\.77\.0\.7 g\.example$' "$W/hosts" ||
	    { fail "once did not write the hosts file without resolved"; return 1; }
	mark=$(trace_mark)
	daemon_start || return 1
	"$DW" --config "$CFG" reconcile >/dev/null 2>&1 ||
	    { fail "reconcile through the daemon failed"; return 1; }
	"$DW" --config "$CFG" reconcile >/dev/null 2>&1
	n=$(trace_since "$mark" | grep -c '"event": *"ReconcileEnd"')
	[ "$n" -ge 3 ] ||
	    { fail "$n passes, want 3 (events: $(trace_events "$mark"))"; return 1; }
	n=$(trace_since "$mark" | grep -c '"event": *"ResolvedUnavailable"')
	[ "$n" -eq 1 ] ||
	    { fail "ResolvedUnavailable $n times in 3 passes, want once"; return 1; }
	out=$("$DW" --config "$CFG" status --json 2>&1 | tr -d '\n' |
	    sed -n 's/.*"resolved": *{\([^}]*\)}.*/\1/p')
	echo "$out" | grep -qE '"available": *false' &&
	echo "$out" | grep -qE '"reason": *"[^"]+"' ||
	    { fail "status does not say resolved is unavailable: $out"; return 1; }
	mark=$(trace_mark)
	rm -rf /run/systemd/resolve/netif
	resolved_start || { fail "resolved did not start"; return 1; }
	wait_until 3000 link_applied ||
	    { fail "the rule is not set within 3 s of resolved's start (events: $(trace_events "$mark"))"; return 1; }
	wait_until 1000 trace_in_pass "$mark" resolved ResolvedLinkSet ||
	    fail "no ResolvedLinkSet in a pass started by resolved's coming"
}

# dw_doctor: the doctor's report (in doctor.json), on one line.
dw_doctor() {
	"$DW" --config "$CFG" doctor --json >"$W/doctor.json" 2>>"$W/doctor.err"
	tr -d '\n' <"$W/doctor.json"
}
# The doctor's resolved object (flat: its arrays hold no objects).
doctor_resolved() {
	dw_doctor | sed -n 's/.*"resolved": *{\([^}]*\)}.*/\1/p'
}

# h. doctor reads the link: as desired, then changed by someone; and it
# says when resolv.conf does not send programs to resolved.
sc_h() {
	local obj
	dw_once "for doctor" || return 1
	obj=$(doctor_resolved)
	echo "$obj" | grep -qE '"available": *true' &&
	echo "$obj" | grep -qE '"as_desired": *true' &&
	echo "$obj" | grep -qE "\"domains\": *\[ *\"~$RNS_ZONE\" *\]" ||
	    { fail "doctor's resolved object is not as desired: $obj"; return 1; }
	! grep -qE '"code": *"resolved-' "$W/doctor.json" ||
	    { fail "doctor found a resolved problem on a right link: $(grep -oE '"code": *"resolved-[a-z-]*"' "$W/doctor.json")"; return 1; }
	"$RESOLVECTL" revert "$RNS_LINK"
	obj=$(doctor_resolved)
	echo "$obj" | grep -qE '"as_desired": *false' &&
	grep -qE '"code": *"resolved-link-differs"' "$W/doctor.json" ||
	    { fail "doctor did not see the reverted link: $obj"; return 1; }
	printf 'nameserver 10.0.0.1\n' >"$W/resolv-other.conf"
	mount --bind "$W/resolv-other.conf" /etc/resolv.conf ||
	    { fail "could not mount a resolv.conf"; return 1; }
	dw_doctor >/dev/null
	umount /etc/resolv.conf
	grep -qE '"code": *"resolved-not-stub"' "$W/doctor.json" ||
	    { fail "doctor did not say resolv.conf bypasses resolved"; return 1; }
	resolved_stop || { fail "resolved did not stop"; return 1; }
	dw_doctor >/dev/null
	grep -qE '"code": *"resolved-unavailable"' "$W/doctor.json" ||
	    fail "doctor did not say resolved is not there"
}

# i. Verification: once resolves the rule's probe through the system
# resolver (glibc, the stub, resolved, the link, the responder); with the
# responder out of reach it says server-unreachable.
sc_i() {
	local mark
	printf '{"version":1,"nrpt":[{"domains":["%s"],"servers":["%s"],"probe":"p.%s"}]}\n' \
	    "$RNS_ZONE" "$RNS_SERVER" "$RNS_ZONE" >"$DESIRED"
	mark=$(trace_mark)
	: >"$W/dnsresp.log"
	dw_once "probe" || return 1
	trace_has "$mark" VerifyResult '"artifact": *"nrpt".*"checked": *1,.*"failed": *0' ||
	    { fail "no VerifyResult for the rules with 1 checked, 0 failed: $(trace_since "$mark" | grep VerifyResult | tr '\n' ' ')"; return 1; }
	grep -qx "p.$RNS_ZONE" "$W/dnsresp.log" ||
	    { fail "the probe did not reach the responder"; return 1; }
	ip -n peer link set "$RNS_PEER_LINK" down
	mark=$(trace_mark)
	"$DW" --config "$CFG" once >"$W/once.out" 2>&1
	ip -n peer link set "$RNS_PEER_LINK" up
	trace_has "$mark" VerifyResult '"failed": *1,.*"class": *"server-unreachable"' ||
	    { fail "no server-unreachable with the responder down: $(trace_since "$mark" | grep VerifyResult | tr '\n' ' ')"; return 1; }
	grep -q "p.$RNS_ZONE" "$W/once.out" ||
	    fail "once's output does not name the probe: $(tr '\n' ' ' <"$W/once.out")"
}

run() {	# run NAME DESCRIPTION
	local t0 rc
	t0=$(now_ms)
	if ! reset; then
		echo "$1 FAIL: the harness could not reset (see $W)"
		failed=1
		return
	fi
	"sc_$1"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "$1 PASS ($(($(now_ms) - t0)) ms): $2${REASON:+ - $REASON}"
	else
		echo "$1 FAIL ($(($(now_ms) - t0)) ms): $2 - $REASON"
		failed=1
	fi
}

t0=$(now_ms)
if ! ns_setup; then
	echo "FAIL: the harness could not set up (logs in $W)"
	exit 1
fi
echo "setup: resolved up in $(($(now_ms) - t0)) ms"
run harness "resolved routes a domain set by hand to the responder"
run a "plan shows the link; once sets the server and the routing domain; only the domain's names go there"
run b "a second once calls no setter"
run c "the daemon puts the rule back after resolvectl revert; status names the link"
run d "the daemon applies the rule to the recreated link's new ifindex"
run e "the daemon applies the rule after resolved restarts without its saved state"
run f "settings that are not ours stay; ours are reverted when no longer desired"
run g "without resolved: said once with a reason, the hosts file still managed, set when resolved comes"
run h "doctor reads the link, sees it changed, and sees resolv.conf bypass resolved"
run i "once verifies the rule's probe through the system resolver, and says when no server answers"
daemon_stop
exit "$failed"
