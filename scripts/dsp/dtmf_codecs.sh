#!/usr/bin/env bash
# DTMF through speech codecs, farend against SpanDSP on the same decoded audio.
#
# Usage: scripts/dsp/dtmf_codecs.sh [WORKDIR]
# Writes WORKDIR/<codec>_<level>.wav (the 16 digits at 100 ms / 100 ms, at each per-tone level
# of Q.24's range, through every codec and mode of farend-codec; `cargo bench -p farend-dsp
# --bench tones_speed -- --write-dtmf`), then prints one row per codec and level with the
# digits each receiver decoded: "=" when exact, "-" when nothing.
# Needs: libspandsp-dev and a C compiler; target/release/farend (`make build`).
# SpanDSP is compiled into a throwaway program here; farend never links it.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/farend-dtmf-codecs.XXXXXX)}
farend=${FAREND_BIN:-$root/target/release/farend}
mkdir -p "$work"
cc -O2 -Wall -o "$work/spandsp_rx" "$root/scripts/dsp/spandsp_rx.c" -lspandsp -lm
(cd "$root" && cargo bench -q -p farend-dsp --bench tones_speed -- --write-dtmf "$work/wav")

sent="147*2580#369ABCD"
# "codec level file" lines, by codec and rising level.
list=$(cd "$work/wav" && for f in *_*.wav; do l=${f##*_}; echo "${f%_*} ${l%.wav} $f"; done | sort -k1,1 -k2,2n)
[ -n "$list" ] || { echo "no <codec>_<level>.wav in $work/wav" >&2; exit 2; }

show() { [ "$1" = "$sent" ] && echo "=" || echo "${1:--}"; }
exact_f=0 exact_s=0 total=0 spandsp_only=0
printf '%-14s %5s  %-18s %-18s\n' codec dBm0 farend SpanDSP
while read -r codec level name; do
    f=$("$farend" detect dtmf "$work/wav/$name" | sed -n 's/^digits: //p')
    [ "$f" = "(none)" ] && f=""
    s=$("$work/spandsp_rx" dtmf "$work/wav/$name" 1 | sed -n 2p)
    total=$((total + 1))
    [ "$f" = "$sent" ] && exact_f=$((exact_f + 1))
    [ "$s" = "$sent" ] && exact_s=$((exact_s + 1))
    [ "$s" = "$sent" ] && [ "$f" != "$sent" ] && spandsp_only=$((spandsp_only + 1))
    printf '%-14s %5s  %-18s %-18s\n' "$codec" "$level" "$(show "$f")" "$(show "$s")"
done <<<"$list"
echo "exact strings: farend $exact_f/$total, SpanDSP $exact_s/$total; exact by SpanDSP only: $spandsp_only"
