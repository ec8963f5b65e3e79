#!/usr/bin/env bash
# Builds the example gateway frontend's image (Dockerfile here: busybox + frontend.sh) with Kiln
# into an OCI image layout directory DIR, for
#   ./kiln build --build-context kiln-frontend=oci-layout://DIR -f examples/frontend/Kilnfile ...
# usage: examples/frontend/build.sh DIR
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR (the OCI layout directory to write)" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
mkdir -p "$(dirname "$1")"
dest=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# busybox first, as examples/busybox makes it, into a layout of its own next to DIR.
busybox="$dest.busybox"
"$top/kiln" build --progress quiet --build-context bin=/bin \
  --output "type=oci,dest=$busybox,tar=false,name=busybox:latest" "$top/examples/busybox"
"$top/kiln" build --build-context "busybox=oci-layout://$busybox" -f "$here/Dockerfile" \
  --output "type=oci,dest=$dest,tar=false,name=kiln-frontend:latest" "$here"
echo "frontend image: $dest (use --build-context kiln-frontend=oci-layout://$dest)" >&2
