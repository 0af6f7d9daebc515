#!/bin/sh
# The follow-mode demo (`make run MODE=follow`): a scripted "tunnel"
# writes its section into a scratch hosts file, the daemon learns it, a
# wipe removes it, and the daemon puts it back. The tunnel's adapter is a
# veth interface in a network namespace of its own (as root), or not
# checked (otherwise). Never touches /etc/hosts or the machine's network.
set -eu
bin=${1:?usage: demo-follow.sh DNSWATCHDOG DIR}
dir=${2:?usage: demo-follow.sh DNSWATCHDOG DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

ns=""
netns_exec=""
require=false
if [ "$(id -u)" = 0 ] && ip netns add "dwdemo$$" 2>/dev/null; then
	ns="dwdemo$$"
	netns_exec="ip netns exec $ns"
	ip netns exec "$ns" ip link add demotun0 type veth peer name demotun0p
	ip netns exec "$ns" ip link set demotun0 up
	require=true
fi

cat > "$dir/config.json" <<JSON
{
  "follow": {
    "tunnel": {
      "name": "demo",
      "record_key": "SOFTWARE\\\\Demo Tunnel",
      "begin_marker": "# DemoTunnelHostsSectionStart",
      "end_marker": "# DemoTunnelHostsSectionEnd",
      "adapter_name": "demotun0"
    },
    "state": "follow-demo.json",
    "require_adapter": $require
  },
  "hosts": { "path": "hosts" },
  "trace": { "jsonl": "trace.jsonl" },
  "control": { "socket": "control.sock" },
  "daemon": { "quiet_ms": 100, "max_delay_ms": 500 }
}
JSON
printf '# A scratch hosts file for the demo.\n127.0.0.1\tlocalhost\n' > "$dir/hosts"
rm -f "$dir/trace.jsonl" "$dir/follow-demo.json"

step() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# Replaces the file the way the tunnels do: a new file renamed over it.
put() { cat > "$dir/hosts.new" && mv "$dir/hosts.new" "$dir/hosts"; }
# Waits (up to 10 s) until the hosts file has (or, with !, lacks) a line.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		if [ "$1" = "!" ]; then
			grep -qF "$2" "$dir/hosts" || return 0
		else
			grep -qF "$1" "$dir/hosts" && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "demo: timed out waiting for the hosts file" >&2
	return 1
}
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$ns" ] && ip netns delete "$ns" 2>/dev/null
	rm -f "$dir/control.sock"
}
trap cleanup EXIT INT TERM

if [ -n "$ns" ]; then
	step "The tunnel's adapter: demotun0, in network namespace $ns"
else
	step "Not root: no adapter check (require_adapter false)"
fi
$netns_exec "$bin" --config "$dir/config.json" run 2>"$dir/daemon.log" &
pid=$!
sleep 0.5

step "1. The tunnel writes its section"
{ cat "$dir/hosts"; printf '# DemoTunnelHostsSectionStart\n100.64.0.10 dev.demo\n100.64.0.11 api.demo\n# DemoTunnelHostsSectionEnd\n'; } | put
sleep 1
cat "$dir/hosts"
step "   ...and the watchdog has learned it:"
"$bin" --config "$dir/config.json" status || true

step "2. A wipe: another program rewrites the file without it (and adds a line)"
wiped='# A scratch hosts file for the demo.\n127.0.0.1\tlocalhost\n10.1.2.3 vpn-portal.example\n'
printf "$wiped"
printf "$wiped" | put

step "3. The watchdog puts it back, keeping the other program's line"
wait_for "100.64.0.11 api.demo"
cat "$dir/hosts"
i=0
while [ $i -lt 100 ] && ! grep -q '"FollowRestored"' "$dir/trace.jsonl"; do
	sleep 0.1
	i=$((i + 1))
done

step "The trace of learn, wipe and restore:"
grep -E '"event":"(ReconcileStart|Follow|HostsWrite)' "$dir/trace.jsonl" |
    sed -e 's/"ts":"[^"]*",//' -e 's/"activity":"[^"]*",//'
