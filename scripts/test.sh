#!/usr/bin/env bash
# Runs Kiln's whole test suite: installs the Debian packages the tests run steps with and creates
# the users the rootless tests run Kiln as (when missing), then builds and verifies every module
# (formatting, unit, integration, end-to-end and benchmark tests).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/test-users.sh"
cd "$here"
exec mvn -B verify
