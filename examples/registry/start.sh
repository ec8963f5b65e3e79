#!/usr/bin/env bash
# Starts a local OCI registry for the examples: Debian's docker-registry on 127.0.0.1:5000 (or
# $KILN_EXAMPLE_REGISTRY, HOST:PORT), storage under out/registry, no auth. Does nothing when one
# already answers there. It keeps running after this script; stop it with examples/registry/stop.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
addr=${KILN_EXAMPLE_REGISTRY:-127.0.0.1:5000}
state=$top/out/registry

answers() { curl -fsS -o /dev/null "http://$addr/v2/" 2>/dev/null; }
answers && exit 0

"$top/scripts/install-deps.sh"
mkdir -p "$state/data"
cat > "$state/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/data
  delete:
    enabled: true
http:
  addr: $addr
YAML
nohup /usr/bin/docker-registry serve "$state/config.yml" > "$state/log" 2>&1 &
echo $! > "$state/pid"
for _ in $(seq 100); do
  answers && { echo "registry ready at $addr (log: $state/log)" >&2; exit 0; }
  kill -0 "$(cat "$state/pid")" 2>/dev/null || break
  sleep 0.1
done
echo "the registry did not start; its log ($state/log):" >&2
cat "$state/log" >&2
exit 1
