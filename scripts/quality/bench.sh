#!/usr/bin/env bash
# Times `farend score` against the ITU-T reference code (PyPI `pesq` / `pesqc2`)
# on the four 8 s P.862 conformance pairs (or105/dg105, or109/dg109, or114/dg114,
# or129/dg129), narrowband at 8 kHz (--band nb, oracle pesq 'nb') and wideband at
# 16 kHz (--band wb, oracle pesqc2 'wb'), everything pinned to one CPU:
#
#   (a) one whole `farend score REF DEG` process per pair (start-up and file
#       reading included: what a shell loop sees), against the oracle's time
#       per call in one Python process, and against one whole Python process
#       per pair (start-up, import, reading the WAVs, one call);
#   (b) one `farend score --list pairs.csv --jobs 1` process for the four pairs
#       repeated ROUNDS times in the CSV, per pair, against the oracle per call.
#
# Prints ms per pair, the ratio farend/oracle and the targets ((a) <= 0.5 and
# (b) <= 0.35 of the oracle's time per call); it does not fail on them.
#
# Usage: scripts/quality/bench.sh [--oracle-only] [ROUNDS]    (default 5 rounds)
#   FAREND_REFS  reference data (default ../shared/refs beside the checkout)
#   FAREND_BIN   the binary (default target/release/farend, built when missing)
#   BENCH_CPU    the CPU to pin to (default 0)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ORACLE_ONLY=0
if [ "${1:-}" = "--oracle-only" ]; then ORACLE_ONLY=1; shift; fi
ROUNDS="${1:-5}"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: ROUNDS must be a positive integer" >&2; exit 2; }
REFS="${FAREND_REFS:-$ROOT/../shared/refs}"
C="$(cd "$REFS/p862-conformance" 2>/dev/null && pwd)" ||
  { echo "bench: no conformance data in $REFS/p862-conformance (set FAREND_REFS)" >&2; exit 2; }
IDS=(105 109 114 129)
for id in "${IDS[@]}"; do
  for f in "$C/8k/or$id.wav" "$C/8k/dg$id.wav" "$C/16k/or$id.wav" "$C/16k/dg$id.wav"; do
    [ -f "$f" ] || { echo "bench: missing $f" >&2; exit 2; }
  done
done

if [ ! -x "$ROOT/.venv/bin/python" ]; then python3 -m venv "$ROOT/.venv"; fi
"$ROOT/.venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/scripts/quality/requirements.txt"
PY="$ROOT/.venv/bin/python"

# One thread everywhere, one CPU.
export RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1
CPU="${BENCH_CPU:-0}"
if command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then
  PIN=(taskset -c "$CPU")
  pinned="pinned to CPU $CPU"
else
  PIN=()
  pinned="not pinned (no taskset): thread-count variables only"
fi

BIN="${FAREND_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/farend}"
if [ "$ORACLE_ONLY" = 0 ] && [ ! -x "$BIN" ]; then
  echo "bench: $BIN missing: cargo build --release -p farend" >&2
  (cd "$ROOT" && cargo build --release -q -p farend)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/farend"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
now() { date +%s%N; }
# ms per pair from start/end nanoseconds and a pair count.
per_pair() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.3f", (b - a) / 1e6 / n }'; }

# Oracle, in one process: time per call (the WAVs read beforehand), both bands.
read -r or_call_nb or_call_wb < <("${PIN[@]}" "$PY" - "$ROUNDS" "$C" "${IDS[@]}" <<'PY'
import sys, time, wave
import numpy as np, pesq, pesqc2
rounds, c, ids = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def rd(p):
    with wave.open(p) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
def bench(sub, mode, fn):
    pairs = [(rd(f"{c}/{sub}/or{i}.wav"), rd(f"{c}/{sub}/dg{i}.wav")) for i in ids]
    for (rate, r), (_, d) in pairs:  # warm-up
        fn(rate, r, d, mode)
    t = time.perf_counter()
    for _ in range(rounds):
        for (rate, r), (_, d) in pairs:
            fn(rate, r, d, mode)
    return (time.perf_counter() - t) * 1000 / (rounds * len(pairs))
print(f"{bench('8k', 'nb', pesq.pesq):.3f} {bench('16k', 'wb', pesqc2.pesq):.3f}")
PY
)

# Oracle, one whole Python process per pair: start-up, imports, reading, one call.
ORACLE_ONE='
import sys, wave
import numpy as np
mod, mode, ref, deg = sys.argv[1:]
fn = __import__(mod).pesq
def rd(p):
    with wave.open(p) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
(rate, r), (_, d) = rd(ref), rd(deg)
print(fn(rate, r, d, mode))
'
oracle_processes() { # SUBDIR MODULE MODE
  local id r t0 t1
  for id in "${IDS[@]}"; do "${PIN[@]}" "$PY" -c "$ORACLE_ONE" "$2" "$3" "$C/$1/or$id.wav" "$C/$1/dg$id.wav" >/dev/null; done
  t0=$(now)
  for ((r = 0; r < ROUNDS; r++)); do
    for id in "${IDS[@]}"; do
      "${PIN[@]}" "$PY" -c "$ORACLE_ONE" "$2" "$3" "$C/$1/or$id.wav" "$C/$1/dg$id.wav" >/dev/null
    done
  done
  t1=$(now)
  per_pair "$t0" "$t1" $((ROUNDS * ${#IDS[@]}))
}
or_proc_nb=$(oracle_processes 8k pesq nb)
or_proc_wb=$(oracle_processes 16k pesqc2 wb)

# farend (a): one process per pair; a pair that fails stops the benchmark.
farend_one() { # SUBDIR BAND REF_ID
  "${PIN[@]}" "$BIN" score "$C/$1/or$3.wav" "$C/$1/dg$3.wav" --band "$2" >"$WORK/out" 2>&1 || {
    echo "bench: farend score $1/or$3.wav $1/dg$3.wav --band $2 failed (exit $?):" >&2
    cat "$WORK/out" >&2
    exit 1
  }
}
farend_processes() { # SUBDIR BAND
  local id r t0 t1
  for id in "${IDS[@]}"; do farend_one "$1" "$2" "$id"; done
  t0=$(now)
  for ((r = 0; r < ROUNDS; r++)); do
    for id in "${IDS[@]}"; do farend_one "$1" "$2" "$id"; done
  done
  t1=$(now)
  per_pair "$t0" "$t1" $((ROUNDS * ${#IDS[@]}))
}
# farend (b): one --list --jobs 1 process over the pairs repeated ROUNDS times.
farend_list() { # SUBDIR BAND
  local id r t0 t1 csv="$WORK/pairs-$1.csv"
  echo "reference,degraded" >"$csv"
  for ((r = 0; r < ROUNDS; r++)); do
    for id in "${IDS[@]}"; do echo "$C/$1/or$id.wav,$C/$1/dg$id.wav" >>"$csv"; done
  done
  "${PIN[@]}" "$BIN" score "$C/$1/or${IDS[0]}.wav" "$C/$1/dg${IDS[0]}.wav" --band "$2" >/dev/null 2>&1 || true
  t0=$(now)
  "${PIN[@]}" "$BIN" score --list "$csv" --jobs 1 --band "$2" >"$WORK/out" 2>&1 || {
    echo "bench: farend score --list ($1, --band $2) failed (exit $?):" >&2
    tail -20 "$WORK/out" >&2
    exit 1
  }
  t1=$(now)
  per_pair "$t0" "$t1" $((ROUNDS * ${#IDS[@]}))
}
if [ "$ORACLE_ONLY" = 0 ]; then
  proc_nb=$(farend_processes 8k nb)
  proc_wb=$(farend_processes 16k wb)
  list_nb=$(farend_list 8k nb)
  list_wb=$(farend_list 16k wb)
fi

echo "P.862 time per 8 s pair: pairs ${IDS[*]}, $ROUNDS rounds, one thread, $pinned"
echo "oracle: pesq $("$PY" -c 'import importlib.metadata as m; print(m.version("pesq"))') (nb), pesqc2 $("$PY" -c 'import importlib.metadata as m; print(m.version("pesqc2"))') (wb)"
[ "$ORACLE_ONLY" = 1 ] || echo "farend: $BIN"
echo
printf '%-4s  %-48s %10s %10s %7s  %-7s %s\n' band figure farend_ms oracle_ms ratio verdict target
row() { # BAND FIGURE FAREND ORACLE TARGET
  if [ -z "$3" ]; then
    printf '%-4s  %-48s %10s %10.3f %7s  %-7s %s\n' "$1" "$2" "-" "$4" "-" "-" "${5:+<= ${5}x}"
    return
  fi
  awk -v b="$1" -v f="$2" -v x="$3" -v o="$4" -v t="$5" 'BEGIN {
    r = x / o
    tgt = (t == "") ? "-" : sprintf("<= %.2fx: %s", t, (r <= t) ? "met" : "missed")
    printf "%-4s  %-48s %10.3f %10.3f %6.3fx  %-7s %s\n", b, f, x, o, r, (r < 1) ? "faster" : "slower", tgt
  }'
}
for b in nb wb; do
  p=proc_$b l=list_$b oc=or_call_$b op=or_proc_$b
  row "$b" "(a) process per pair vs oracle call" "${!p:-}" "${!oc}" 0.5
  row "$b" "(a) process per pair vs oracle process per pair" "${!p:-}" "${!op}" ""
  row "$b" "(b) --list --jobs 1 vs oracle call" "${!l:-}" "${!oc}" 0.35
done
