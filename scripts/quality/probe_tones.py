#!/usr/bin/env python3
"""A frequency sweep of `farend score` against the oracle: which band charges a tone.

Usage: scripts/quality/probe_tones.py [--bin PATH] [--work DIR] [--band nb|wb] [--step HZ]

A steady tone 20 dB below the speech's RMS level is added to real speech (the audio-refs
talkers en-m1 and en-f2, 8 kHz for narrowband, 16 kHz for wideband) and stepped through
the band, by default every half FFT bin (15.625 Hz) from 100 Hz to 3.9 kHz (narrowband) or
7.9 kHz (wideband Corrigendum 2). Every pair is scored by farend (`--list`) and by the
ITU-T reference code (PyPI `pesq` narrowband, `pesqc2` wideband, from .venv, set up by
compare_oracle.py). A tone's cost depends on which critical band its FFT bins fall in, so a
band edge on the wrong side of a bin shows as differences that swap sign from one step to
the next; a frequency-dependent weighting error shows as a slow trend. The script prints
the mean difference per frequency range, the largest differences and the mean absolute
difference overall. It asserts nothing: it is a measurement, not a gate
(`tests/api.rs`, `a_tone_is_charged_by_the_band_it_falls_in`, holds four of its points).
"""

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
# Importing the corpus script re-runs this one inside .venv with the oracle packages.
import compare_oracle as corpus  # noqa: E402

import numpy as np  # noqa: E402

TALKERS = ["en-m1", "en-f2"]
RANGES = [100, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 7000, 7500]


def with_tone(x, rate, hz):
    """`x` with a tone at `hz`, 20 dB below its RMS level, rounded to 16 bits."""
    rms = np.sqrt(np.mean(x**2))
    n = np.arange(len(x))
    return np.clip(np.round(x + np.sqrt(2) * rms * 0.1 * np.sin(2 * np.pi * hz * n / rate)), -32768, 32767)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("FAREND_BIN", os.path.join(ROOT, "target", "release", "farend")))
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "quality-tones"))
    ap.add_argument("--band", choices=["nb", "wb"], default="nb")
    ap.add_argument("--step", type=float, default=15.625)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    suffix, top = ("8k", 3900.0) if args.band == "nb" else ("16k", 7900.0)
    tones = np.arange(100.0, top + 1e-9, args.step)

    pairs = []  # (talker, hz, reference, degraded)
    for talker in TALKERS:
        ref = os.path.join(ROOT, "audio-refs", "speech", f"{talker}.{suffix}.wav")
        rate, x = corpus.read_wav(ref)
        for hz in tones:
            deg = os.path.join(args.work, f"{talker}.{suffix}.{hz:.3f}.wav")
            corpus.write_wav(deg, rate, with_tone(x, rate, hz))
            pairs.append((talker, hz, rate, ref, deg))

    lst = os.path.join(args.work, f"pairs-{args.band}.csv")
    with open(lst, "w") as f:
        f.write("reference,degraded\n")
        for _, _, _, ref, deg in pairs:
            f.write(f"{ref},{deg}\n")
    out = subprocess.run([args.bin, "score", "--list", lst, "--json", "--band", args.band],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"farend score --list failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    ours = {item["degraded"]: item["mos_lqo"] for item in json.loads(out.stdout)}
    module = "pesq" if args.band == "nb" else "pesqc2"
    jobs = [(module, args.band, rate, ref, deg) for _, _, rate, ref, deg in pairs]
    with ProcessPoolExecutor() as pool:
        theirs = [mos for mos, _ in pool.map(corpus.oracle_score, jobs, chunksize=8)]

    deltas = [(hz, ours[deg] - o) for (_, hz, _, _, deg), o in zip(pairs, theirs)]
    print(f"{args.band}: {len(pairs)} pairs, tones every {args.step:g} Hz from 100 Hz, "
          f"talkers {', '.join(TALKERS)}; farend minus oracle, MOS-LQO")
    print(f"{'from Hz':>8} {'tones':>6} {'mean delta':>11} {'mean |delta|':>13}")
    for low, high in zip(RANGES, RANGES[1:] + [1e9]):
        ds = [d for hz, d in deltas if low <= hz < high]
        if ds:
            print(f"{low:8.0f} {len(ds):6d} {np.mean(ds):+11.3f} {np.mean(np.abs(ds)):13.3f}")
    worst = sorted(deltas, key=lambda t: -abs(t[1]))[:5]
    print("largest: " + ", ".join(f"{hz:.1f} Hz {d:+.3f}" for hz, d in worst))
    print(f"all: mean |delta| {np.mean([abs(d) for _, d in deltas]):.4f}, "
          f"within 0.05: {sum(abs(d) <= 0.05 for _, d in deltas)} of {len(deltas)}")


if __name__ == "__main__":
    main()
