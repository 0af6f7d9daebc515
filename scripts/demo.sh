#!/bin/sh
# The `make run` demo: a scratch hosts file, a sample desired state and a
# config under DIR; runs the watchdog on them and shows what it did.
# Never touches /etc/hosts.
set -eu
bin=${1:?usage: demo.sh DNSWATCHDOG DIR}
dir=${2:?usage: demo.sh DNSWATCHDOG DIR}
mkdir -p "$dir"

cat > "$dir/config.json" <<'JSON'
{
  "desired_state": "desired.json",
  "hosts": { "path": "hosts" },
  "trace": { "jsonl": "trace.jsonl" }
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
step dnswatchdog --config "$dir/config.json" once
"$bin" --config "$dir/config.json" once
step cat "$dir/hosts"
cat "$dir/hosts"
step dnswatchdog --config "$dir/config.json" once '  # again: nothing to do'
"$bin" --config "$dir/config.json" once
step cat "$dir/trace.jsonl"
cat "$dir/trace.jsonl"
