#!/usr/bin/env bash
# Stops the registry examples/registry/start.sh started.
set -euo pipefail
pid_file=$(cd "$(dirname "$0")/../.." && pwd)/out/registry/pid
[ -f "$pid_file" ] || exit 0
kill "$(cat "$pid_file")" 2>/dev/null || true
rm -f "$pid_file"
