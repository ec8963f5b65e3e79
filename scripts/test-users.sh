#!/usr/bin/env bash
# Creates the unprivileged users the rootless tests run Kiln as (RootlessTest), when missing:
# kiln-rootless, with subordinate ids in /etc/subuid and /etc/subgid (files keep their owners), and
# kiln-single, without any (Kiln maps the user's id alone). Runs as root, or through sudo.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "kiln: the rootless tests need the users kiln-rootless and kiln-single: run $0 as root" >&2
  exit 1
fi

for file in /etc/subuid /etc/subgid; do
  # usermod --add-subuids refuses to work without them.
  [ -e "$file" ] || "${as_root[@]}" touch "$file"
done
if ! id kiln-rootless >/dev/null 2>&1; then
  "${as_root[@]}" useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 kiln-rootless
fi
if ! grep -q '^kiln-rootless:' /etc/subuid 2>/dev/null || ! grep -q '^kiln-rootless:' /etc/subgid 2>/dev/null; then
  # A range of its own, past those useradd hands out (100000 on), so that it overlaps no one's.
  "${as_root[@]}" usermod --add-subuids 1800000-1865535 --add-subgids 1800000-1865535 kiln-rootless
fi
if ! id kiln-single >/dev/null 2>&1; then
  "${as_root[@]}" useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 kiln-single
fi
if grep -q '^kiln-single:' /etc/subuid /etc/subgid 2>/dev/null; then
  echo "kiln: kiln-single must have no subordinate ids; remove its lines from /etc/subuid and /etc/subgid" >&2
  exit 1
fi
