#!/bin/sh
# Identification rates and extraction speed of farend's fingerprint next to Chromaprint's
# fpcalc, on the same degraded 3 s telephony queries. Needs sox (with AMR-NB), fpcalc
# (libchromaprint-tools), asterisk-core-sounds-en-wav and python3.
#   scripts/fingerprint/compare_fpcalc.sh [--queries N] [--foreign N] [--seed S]
# FAREND=path/to/farend picks the binary (default: a release build, else a debug build).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
if [ -z "${FAREND:-}" ]; then
    if [ -x "$target/release/farend" ]; then FAREND=$target/release/farend
    elif [ -x "$target/debug/farend" ]; then FAREND=$target/debug/farend
    else (cd "$root" && cargo build --release -p farend) && FAREND=$target/release/farend
    fi
fi
export FAREND
exec python3 "$here/compare_fpcalc.py" "$@"
