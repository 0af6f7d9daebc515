#!/bin/sh
# The `make run` demo: a scratch hosts file, a sample desired state and a
# config under DIR; shows validate and plan, then runs the daemon in the
# foreground on them. Never touches /etc/hosts.
set -eu
bin=${1:?usage: demo.sh DNSWATCHDOG DIR}
dir=${2:?usage: demo.sh DNSWATCHDOG DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

cat > "$dir/config.json" <<'JSON'
{
  "desired_state": "desired.json",
  "hosts": { "path": "hosts" },
  "trace": { "jsonl": "trace.jsonl" },
  "control": { "socket": "control.sock" }
}
JSON
cat > "$dir/desired.json" <<'JSON'
{
  "version": 1,
  "nrpt": [ { "domains": ["coder"], "servers": ["100.100.100.100", "fd7a:115c:a1e0::53"] } ],
  "hosts": [
    { "address": "fd60:627a:a42b::10", "names": ["alice-ws.coder", "alice-ws.main.alice.coder"] },
    { "address": "100.64.0.7", "names": ["build.coder"] }
  ]
}
JSON
printf '# A scratch hosts file for the demo.\n127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost\n' > "$dir/hosts"
rm -f "$dir/trace.jsonl"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step dnswatchdog validate "$dir/desired.json"
"$bin" validate "$dir/desired.json"
step dnswatchdog --config "$dir/config.json" plan
"$bin" --config "$dir/config.json" plan

cat <<MSG

Now the daemon runs in the foreground on this sandbox (Ctrl-C stops it).
From another terminal, try:
  echo '10.9.9.9 other.example' > $dir/hosts      # drift: repaired at once
  \$EDITOR $dir/desired.json                       # a new desired state
  $bin --config $dir/config.json status
  $bin --config $dir/config.json reconcile
  tail -f $dir/trace.jsonl                          # every step, as JSON Lines
MSG
step dnswatchdog --config "$dir/config.json" run
exec "$bin" --config "$dir/config.json" run
