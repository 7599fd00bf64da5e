#!/usr/bin/env python3
"""A narrowband check of `farend score` on material the oracle corpus does not hold.

Usage: scripts/quality/probe_narrowband.py [--bin PATH] [--work DIR]

The oracle corpus (compare_oracle.py) is what farend's scales and rules were settled on;
this probe is what they are checked on afterwards. Its references are 8 kHz recordings of
talkers whose 8 kHz recordings the corpus does not use (Asterisk's French, Italian, Russian
and Spanish prompts: female, male, female, female), chained in a shuffled order with pauses
of 0.15-0.5 s into 8 s pieces, three per talker. Each goes through eleven conditions in
orders the corpus does not have (noise before the codec, loss after it, a filter before a
codec, a lowered level before AMR-NB, ...). Every pair is scored narrowband by farend
(`--list`) and by the ITU-T reference code (PyPI `pesq`, from .venv, set up by
compare_oracle.py); the script prints the mean and mean absolute difference per condition
and overall, and how many pairs agree within 0.05 MOS-LQO. It asserts nothing: it is a
measurement, not a gate.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import wave

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VPY = os.path.join(ROOT, ".venv", "bin", "python")
# Run inside the oracle's virtual environment (compare_oracle.py creates it).
if os.path.realpath(sys.prefix) != os.path.realpath(os.path.join(ROOT, ".venv")):
    if not os.path.exists(VPY):
        sys.exit("no .venv: run scripts/quality/compare_oracle.py (or make test) first")
    os.execv(VPY, [VPY] + sys.argv)

import numpy as np  # noqa: E402
import pesq  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe_signals as signals  # noqa: E402

TALKERS = ["fr_CA_f_June", "it_IT_m_Carlo", "ru_RU_f_IvrvoiceRU", "es_MX_f_Allison"]
RATE = 8000


def read(path):
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float), w.getframerate()


def write(path, x):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes())


class Conditions(signals.Degradations):
    """The degradations, each a function of an 8 kHz signal; `work` holds codec files."""

    def __init__(self, work, rng):
        super().__init__(RATE, rng)
        self.work = work

    def fit(self, y, n):
        return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))

    def sox_codec(self, x, ext, opts=()):
        a, b, c = (os.path.join(self.work, f) for f in ("c.wav", f"c.{ext}", "c2.wav"))
        write(a, x)
        subprocess.run(["sox", "-R", a, *opts, b], check=True, capture_output=True)
        subprocess.run(["sox", "-R", b, "-r", str(RATE), "-b", "16", "-e", "signed-integer", c],
                       check=True, capture_output=True)
        return self.fit(read(c)[0], len(x))

    def opus(self, x, kbps):
        a, b, c = (os.path.join(self.work, f) for f in ("c.wav", "c.opus", "c2.wav"))
        write(a, x)
        subprocess.run(["opusenc", "--quiet", "--bitrate", str(kbps), a, b], check=True)
        subprocess.run(["opusdec", "--quiet", "--rate", str(RATE), b, c], check=True)
        return self.fit(read(c)[0], len(x))

    def all(self):
        amr = lambda x, mode: self.sox_codec(x, "amr-nb", ["-C", str(mode)])  # noqa: E731
        lowpass = lambda f: 1 / (1 + (f / 3000) ** 8)  # noqa: E731
        highpass = lambda f: 1 / np.sqrt(1 + (300 / np.maximum(f, 1)) ** 8)  # noqa: E731
        return {
            "noise20>amr795": lambda x: amr(self.noise(x, 20), 5),
            "gsm>noise30": lambda x: self.noise(self.sox_codec(x, "gsm"), 30),
            "g711u>zero3": lambda x: self.zeroed(self.sox_codec(x, "ul"), 0.03),
            "opus10": lambda x: self.opus(x, 10),
            "lp3k>ulaw": lambda x: self.sox_codec(self.filtered(x, lowpass), "ul"),
            "mnru20": lambda x: self.mnru(x, 20),
            "gain-10>amr122": lambda x: amr(x * 10 ** (-10 / 20), 7),
            "hp300>gsm": lambda x: self.sox_codec(self.filtered(x, highpass), "gsm"),
            "brown15>amr475": lambda x: amr(self.noise(x, 15, brown=True), 0),
            "amr590>zero2": lambda x: self.zeroed(amr(x, 2), 0.02),
            "opus8>noise35": lambda x: self.noise(self.opus(x, 8), 35),
        }


def references(rng):
    """Three 8 s chains per talker, at -26 dB below full scale (active speech)."""
    out = []
    for talker in TALKERS:
        clips = []
        for path in sorted(glob.glob(f"/usr/share/asterisk/sounds/{talker}/*.wav")):
            x, rate = read(path)
            if rate == RATE and len(x) > 0.8 * RATE:
                clips.append(x)
        if not clips:
            sys.exit(f"no 8 kHz prompts of {talker}: install asterisk-core-sounds-*-wav")
        for count, x in enumerate(signals.chains(clips, RATE, rng, 3)):
            out.append((f"{talker.split('_')[0]}{count}", x))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("FAREND_BIN", os.path.join(ROOT, "target/release/farend")))
    parser.add_argument("--work", default="/tmp/farend-probe-nb")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(2024)
    conditions = Conditions(args.work, rng).all()
    rows = []
    for name, x in references(rng):
        ref_path = os.path.join(args.work, f"{name}.ref.wav")
        write(ref_path, x)
        x, _ = read(ref_path)
        for cond, degrade in conditions.items():
            deg_path = os.path.join(args.work, f"{name}.deg.{cond}.wav")
            write(deg_path, degrade(x))
            y, _ = read(deg_path)
            rows.append((ref_path, deg_path, cond, pesq.pesq(RATE, x, y, "nb")))
    listing = os.path.join(args.work, "pairs.csv")
    with open(listing, "w") as f:
        f.write("reference,degraded\n")
        f.writelines(f"{r},{d}\n" for r, d, _, _ in rows)
    run = subprocess.run([args.bin, "score", "--list", listing, "--json"], capture_output=True, text=True)
    scored = {o["degraded"]: o.get("mos_lqo") for o in json.loads(run.stdout)}
    by_condition, every = {}, []
    for _, deg, cond, oracle in rows:
        if scored.get(deg) is None:
            sys.exit(f"farend did not score {deg}: {run.stderr.strip()}")
        by_condition.setdefault(cond, []).append(scored[deg] - oracle)
    print(f"{'condition':16s} pairs  mean delta  mean |delta|  within 0.05")
    for cond, deltas in by_condition.items():
        every += deltas
        mean_abs = sum(map(abs, deltas)) / len(deltas)
        within = sum(abs(d) <= 0.05 for d in deltas)
        print(f"{cond:16s} {len(deltas):5d}  {sum(deltas) / len(deltas):+10.3f}  {mean_abs:12.3f}  {within:11d}")
    within = sum(abs(d) <= 0.05 for d in every)
    print(f"all: {len(every)} pairs, mean |delta| {sum(map(abs, every)) / len(every):.3f}, "
          f"within 0.05: {within} ({100 * within / len(every):.1f} %)")


if __name__ == "__main__":
    main()
