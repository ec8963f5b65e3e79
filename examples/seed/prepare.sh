#!/usr/bin/env bash
# Prepares examples/seed: a local registry on 127.0.0.1:5000 (examples/registry/start.sh, or
# $KILN_EXAMPLE_REGISTRY), busybox built by Kiln itself FROM scratch out of Debian's busybox-static
# (examples/busybox) and pushed there as library/busybox, and a Kiln configuration
# (out/kiln-config/registries.json) that makes that registry docker.io's mirror: with
# KILN_CONFIG=out/kiln-config, the seed's "FROM busybox" is served by it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
addr=${KILN_EXAMPLE_REGISTRY:-127.0.0.1:5000}

"$top/examples/registry/start.sh"
mkdir -p "$top/out/kiln-config"
printf '{"hosts": {"docker.io": {"mirrors": ["%s"]}}}\n' "$addr" > "$top/out/kiln-config/registries.json"
# SOURCE_DATE_EPOCH makes the image byte-identical from run to run, so the seed build's FROM
# busybox keeps its digest and a second run of the README's first command is fully cached.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0} "$top/kiln" build --progress quiet \
  --build-context bin=/bin -t "$addr/library/busybox" --push "$top/examples/busybox"
