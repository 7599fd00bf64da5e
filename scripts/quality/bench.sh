#!/usr/bin/env bash
# Times farend-quality and the ITU-T reference code (PyPI `pesq` / `pesqc2`) on
# the same 8 s pairs in one run, single-threaded, narrowband and wideband, and
# prints the time per pair and the ratio (target: farend <= 0.5 x oracle).
#
# Usage: scripts/quality/bench.sh [ROUNDS]   (FAREND_REFS: reference data dir)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REFS="${FAREND_REFS:-$ROOT/../shared/refs}"
ROUNDS="${1:-5}"
C="$REFS/p862-conformance"
[ -d "$C" ] || { echo "bench: no conformance data in $C (set FAREND_REFS)" >&2; exit 2; }
if [ ! -x "$ROOT/.venv/bin/python" ]; then python3 -m venv "$ROOT/.venv"; fi
"$ROOT/.venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/scripts/quality/requirements.txt"
export RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1
(cd "$ROOT" && cargo build --release -q -p farend-quality --example pesq_pair)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/pesq_pair"
NB=(8k/or105.wav 8k/dg105.wav 8k/or109.wav 8k/dg109.wav 8k/or114.wav 8k/dg114.wav 8k/or129.wav 8k/dg129.wav)
WB=(16k/or105.wav 16k/dg105.wav 16k/or109.wav 16k/dg109.wav 16k/or114.wav 16k/dg114.wav 16k/or129.wav 16k/dg129.wav)
cd "$C"
ours_nb=$("$BIN" --bench "$ROUNDS" "${NB[@]}" | awk '{print $1}')
ours_wb=$("$BIN" --bench "$ROUNDS" --wb "${WB[@]}" | awk '{print $1}')
read -r oracle_nb oracle_wb < <("$ROOT/.venv/bin/python" - "$ROUNDS" "${NB[*]}" "${WB[*]}" <<'PY'
import sys, time, wave
import numpy as np, pesq, pesqc2
rounds = int(sys.argv[1])
def rd(p):
    with wave.open(p) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
def bench(files, mode, fn):
    fs = files.split()
    pairs = [(rd(fs[i]), rd(fs[i + 1])) for i in range(0, len(fs), 2)]
    t = time.perf_counter()
    for _ in range(rounds):
        for (rate, r), (_, d) in pairs:
            fn(rate, r, d, mode)
    return (time.perf_counter() - t) * 1000 / (rounds * len(pairs))
print(f"{bench(sys.argv[2], 'nb', pesq.pesq):.3f} {bench(sys.argv[3], 'wb', pesqc2.pesq):.3f}")
PY
)
printf '%-10s %12s %12s %8s\n' band farend_ms oracle_ms ratio
for b in nb wb; do
  o=oracle_$b; f=ours_$b
  printf '%-10s %12.3f %12.3f %8.3f\n' "$b" "${!f}" "${!o}" "$(echo "${!f} / ${!o}" | bc -l)"
done
