#!/usr/bin/env python3
"""A wideband check of `farend score` on material the oracle corpus does not hold.

Usage: scripts/quality/probe_wideband.py [--bin PATH] [--transcode PATH] [--work DIR]

The wideband counterpart of probe_narrowband.py. No 16 kHz talker is installed that the
corpus does not use already, so the probe's references are new *speech* of the corpus's
talkers: the G.722 prompts of the five Asterisk voices (English, Spanish, French, Italian,
Russian) that none of the corpus's wideband references contains, chained in another order
with pauses of 0.15-0.5 s into 8 s pieces at another level (-26 dBov), two per talker.
Each goes through twelve conditions the corpus does not have: AMR-WB (the corpus has none:
sox cannot encode it) at six modes, with frame loss and concealment, with noise before
or after it and a lowered level or a high-pass before it; Opus at 12 kbit/s and after
brown noise; a 5 kHz low-pass; MNRU; zeroed 20 ms chunks after Opus. AMR-WB runs through
farend's own codec layer (the `transcode` example of farend-codec, built when missing);
the rest through opusenc/opusdec and numpy.

Every pair is scored wideband by farend (`--list`, both P.862.2 editions) and by the ITU-T
reference code (PyPI `pesqc2` for Corrigendum 2, `pesq` for 2005, from .venv, set up by
compare_oracle.py). It prints the mean and mean absolute difference per condition and
overall, and how many pairs agree within 0.05 MOS-LQO. It asserts nothing: it is a
measurement, not a gate.
"""

import argparse
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
# The corpus's own definitions: which prompts it uses, and its G.722 decoder. Importing it
# re-runs this script inside .venv with the oracle packages installed.
import compare_oracle as corpus  # noqa: E402

import numpy as np  # noqa: E402
import pesq  # noqa: E402
import pesqc2  # noqa: E402
import probe_signals as signals  # noqa: E402

RATE = 16000
GROUPS = {
    "wb": (["--band", "wb"], lambda x, y: pesqc2.pesq(RATE, x, y, "wb")),
    "wb2005": (["--band", "wb", "--wb-version", "2005"], lambda x, y: pesq.pesq(RATE, x, y, "wb")),
}


def prompts_by_talker():
    """(talker, [(label, samples)]) of every wideband prompt the corpus does not use."""
    out = []
    for d in sorted(glob.glob(corpus.WIDEBAND_PROMPTS)):
        clips = []
        for p in sorted(glob.glob(os.path.join(d, "*.g722"))):
            x = corpus.g722_decode(p)
            if len(x) > RATE * 0.8:
                clips.append((os.path.basename(p)[:-5], x))
        # The corpus's choice, repeated: its order and its first two chains.
        order = np.random.default_rng(7).permutation(len(clips))
        used = set()
        for names, _ in corpus.chain([clips[i] for i in order], RATE, 0.3)[:2]:
            used.update(names.split("+"))
        out.append((os.path.basename(d), [c for c in clips if c[0] not in used]))
    return out


def references(rng):
    """Two 8 s chains per talker of prompts the corpus does not use, at -26 dBov."""
    out = []
    for talker, clips in prompts_by_talker():
        if len(clips) < 6:
            sys.exit(f"{talker}: too few unused wideband prompts (asterisk-core-sounds-*-g722)")
        for count, x in enumerate(signals.chains([c[1] for c in clips], RATE, rng, 2)):
            out.append((f"{talker.split('_')[0]}{count}", x))
    return out


class Conditions(signals.Degradations):
    """The degradations, each a function of a 16 kHz signal; `work` holds codec files."""

    def __init__(self, work, rng, transcoder):
        super().__init__(RATE, rng)
        self.work, self.transcoder = work, transcoder

    def fit(self, y, n):
        return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))

    def amrwb(self, x, mode, loss=0.0):
        a, b = (os.path.join(self.work, f) for f in ("c.wav", "c2.wav"))
        corpus.write_wav(a, RATE, x)
        frames = (len(x) + 319) // 320
        lost = [str(i) for i in range(frames) if self.rng.random() < loss]
        subprocess.run([self.transcoder, f"amr-wb:{mode}", a, b, ",".join(lost)], check=True)
        return self.fit(corpus.read_wav(b)[1], len(x))

    def opus(self, x, kbps):
        a, b, c = (os.path.join(self.work, f) for f in ("c.wav", "c.opus", "c2.wav"))
        corpus.write_wav(a, RATE, x)
        subprocess.run(["opusenc", "--quiet", "--bitrate", str(kbps), a, b], check=True)
        subprocess.run(["opusdec", "--quiet", "--rate", str(RATE), b, c], check=True)
        return self.fit(corpus.read_wav(c)[1], len(x))

    def all(self):
        lowpass = lambda f: 1 / (1 + (f / 5000) ** 8)  # noqa: E731
        highpass = lambda f: 1 / np.sqrt(1 + (250 / np.maximum(f, 1)) ** 8)  # noqa: E731
        return {
            "amrwb660": lambda x: self.amrwb(x, "6.60"),
            "amrwb1265": lambda x: self.amrwb(x, "12.65"),
            "noise25>amrwb2385": lambda x: self.amrwb(self.noise(x, 25), "23.85"),
            "amrwb1825>noise35": lambda x: self.noise(self.amrwb(x, "18.25"), 35),
            "amrwb885+loss3": lambda x: self.amrwb(x, "8.85", loss=0.03),
            "gain-12>amrwb1265": lambda x: self.amrwb(x * 10 ** (-12 / 20), "12.65"),
            "hp250>amrwb1585": lambda x: self.amrwb(self.filtered(x, highpass), "15.85"),
            "opus12": lambda x: self.opus(x, 12),
            "brown20>opus20": lambda x: self.opus(self.noise(x, 20, brown=True), 20),
            "lp5k": lambda x: self.filtered(x, lowpass),
            "mnru25": lambda x: self.mnru(x, 25),
            "opus24>zero2": lambda x: self.zeroed(self.opus(x, 24), 0.02),
        }


def transcoder(given):
    if given:
        return given
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    path = os.path.join(target, "release", "examples", "transcode")
    if not os.path.exists(path):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "farend-codec", "--example",
                        "transcode"], check=True, cwd=ROOT)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("FAREND_BIN", os.path.join(ROOT, "target/release/farend")))
    parser.add_argument("--transcode", help="farend-codec's transcode example (built when missing)")
    parser.add_argument("--work", default="/tmp/farend-probe-wb")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(2026)
    conditions = Conditions(args.work, rng, transcoder(args.transcode)).all()
    pairs = []
    for name, x in references(rng):
        ref_path = os.path.join(args.work, f"{name}.ref.wav")
        corpus.write_wav(ref_path, RATE, x)
        x = corpus.read_wav(ref_path)[1]
        for cond, degrade in conditions.items():
            deg_path = os.path.join(args.work, f"{name}.deg.{cond}.wav")
            corpus.write_wav(deg_path, RATE, degrade(x))
            pairs.append((ref_path, deg_path, cond, x, corpus.read_wav(deg_path)[1]))
    listing = os.path.join(args.work, "pairs.csv")
    with open(listing, "w") as f:
        f.write("reference,degraded\n")
        f.writelines(f"{r},{d}\n" for r, d, *_ in pairs)
    for group, (flags, oracle) in GROUPS.items():
        run = subprocess.run([args.bin, "score", "--list", listing, "--json", *flags],
                             capture_output=True, text=True)
        scored = {o["degraded"]: o.get("mos_lqo") for o in json.loads(run.stdout)}
        by_condition, every = {}, []
        for _, deg, cond, x, y in pairs:
            if scored.get(deg) is None:
                sys.exit(f"farend did not score {deg}: {run.stderr.strip()}")
            by_condition.setdefault(cond, []).append(scored[deg] - oracle(x, y))
        print(f"\n{group}: {'condition':18s} pairs  mean delta  mean |delta|  within 0.05")
        for cond, deltas in by_condition.items():
            every += deltas
            mean_abs = sum(map(abs, deltas)) / len(deltas)
            within = sum(abs(d) <= 0.05 for d in deltas)
            print(f"{group}: {cond:18s} {len(deltas):5d}  {sum(deltas) / len(deltas):+10.3f}  "
                  f"{mean_abs:12.3f}  {within:11d}")
        within = sum(abs(d) <= 0.05 for d in every)
        print(f"{group} all: {len(every)} pairs, mean |delta| {sum(map(abs, every)) / len(every):.3f}, "
              f"within 0.05: {within} ({100 * within / len(every):.1f} %)", flush=True)


if __name__ == "__main__":
    main()
