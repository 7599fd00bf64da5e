#!/usr/bin/env bash
# farend's DTMF receiver and tone detectors against SpanDSP, side by side on the same audio:
# false detections (talk-off) on 90+ minutes of Debian speech recordings and 12 minutes of
# generated music-like material, and speed (best of three runs each, processing time only).
#
# Usage: scripts/dsp/compare_spandsp.sh [WORKDIR]
# Needs: libspandsp-dev, a C compiler, asterisk-core-sounds-en-wav and codec2-examples.
# SpanDSP is compiled into a throwaway program here; farend never links it.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/farend-dsp-compare.XXXXXX)}
mkdir -p "$work"

cc -O2 -Wall -o "$work/spandsp_rx" "$root/scripts/dsp/spandsp_rx.c" -lspandsp -lm

echo "== farend (cargo bench -p farend-dsp --bench tones_speed), corpus in $work"
(cd "$root" && cargo bench -q -p farend-dsp --bench tones_speed -- --write-corpus "$work") | tee "$work/farend.txt"

: > "$work/spandsp.txt"
for f in speech music; do
    echo "# $work/$f.raw" >> "$work/spandsp.txt"
    "$work/spandsp_rx" dtmf "$work/$f.raw" >> "$work/spandsp.txt"
    "$work/spandsp_rx" progress "$work/$f.raw" >> "$work/spandsp.txt"
done
echo "== SpanDSP"
cat "$work/spandsp.txt"

# field NAME LINE -> value of NAME=... in LINE
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }
# line FILE CORPUS MODE -> the result line of MODE for CORPUS in FILE
line() { awk -v c="$2.raw" -v m="$3" '/^#/ { cur = ($0 ~ c) } cur && $1 == m { print; exit }' "$1"; }

echo
echo "== comparison (x_realtime: seconds of audio per second of CPU; ratio > 1: farend faster)"
printf '%-7s %-24s %12s %12s %12s %12s %8s\n' corpus "detector (farend/SpanDSP)" "farend hits" "SpanDSP hits" "farend xRT" "SpanDSP xRT" ratio
for f in speech music; do
    for pair in "dtmf dtmf digits" "tones progress events" "progress progress events"; do
        set -- $pair
        a=$(line "$work/farend.txt" "$f" "$1"); b=$(line "$work/spandsp.txt" "$f" "$2")
        fa=$(field "$3" "$a"); sb=$(field "$3" "$b")
        ra=$(field x_realtime "$a"); rb=$(field x_realtime "$b")
        ca=$(field cpu "$a"); cb=$(field cpu "$b")
        ratio=$(awk -v a="$ca" -v b="$cb" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "inf" }')
        printf '%-7s %-24s %12s %12s %12s %12s %8s\n' "$f" "$1/$2" "$fa" "$sb" "$ra" "$rb" "$ratio"
    done
done
