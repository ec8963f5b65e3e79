#!/usr/bin/env bash
# Installs the Debian packages Kiln runs steps with, when they are missing.
# Kiln needs: bubblewrap (the sandbox), crun (the sandbox when setuid binaries must work, which is
# the default), util-linux (setpriv, unshare), uidmap (newuidmap and
# newgidmap: a normal user's subordinate ids, for rootless Kiln), busybox-static
# (the examples' and tests' base image); the examples and tests also use a real registry
# (docker-registry, with htpasswd from apache2-utils for its auth tests) and check images with
# skopeo and umoci, run the terminal display in tmux, make TLS certificates with openssl, and
# forward a real ssh agent (openssh-client) to a step's static test client (gcc, libc6-dev), and
# give a cluster node a test host of its own in a network namespace (iproute2's ip), and keep the
# coordinators' shared job journal in a private PostgreSQL server the tests start (postgresql). Runs
# apt-get as root, or through sudo when allowed.
set -euo pipefail

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v crun >/dev/null 2>&1 || missing+=(crun)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || missing+=(busybox-static)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v newuidmap >/dev/null 2>&1 || missing+=(uidmap)
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v umoci >/dev/null 2>&1 || missing+=(umoci)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v ssh-agent >/dev/null 2>&1 || missing+=(openssh-client)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -f /usr/lib/aarch64-linux-gnu/libc.a ] || missing+=(libc6-dev)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "kiln: missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "kiln: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >/dev/null
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
