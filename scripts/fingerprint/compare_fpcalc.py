#!/usr/bin/env python3
"""Identification of 3 s telephony queries: farend's fingerprint next to Chromaprint's fpcalc.

Material: Debian's Asterisk prompts (8 kHz). Half of them (by a hash of the name) are
concatenated into >= 6 s references and indexed; queries are 3 s cuts at random offsets,
with white noise at 10 dB SNR (sox), AMR-NB 4.75 kbit/s (sox -C 0), 3 % frame loss (NO_DATA
frames, concealed by the decoder) and a +/-10 dB level change (sox vol). Queries from the
other half are not in the index: any match is a false positive.

fpcalc is scored the way its fingerprints are meant to be compared: the raw 32-bit words
of query and reference, the best bit error rate over all alignments with at least 80 %
overlap, a match below --fpcalc-ber (default 0.35).

Speed, side by side in the same run on the same audio: whole-process `farend fingerprint
index` against `fpcalc -raw -length 0` on all the prompts as one 8 kHz WAV (about 39 min),
best of --runs each, and their ratio; then the in-process identification time of a 3 s
query among 1000 references, from the fingerprint_speed bench (skip with --no-bench).

Usage: compare_fpcalc.py [--farend PATH] [--queries 60] [--foreign 30] [--seed 1] [--runs 5]
                         [--speed-only] [--no-bench]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import wave
import zlib
import array

ASTERISK = next((d for d in ("/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_US_f_Allison")
                 if os.path.isdir(os.path.join(d, "digits"))), "/usr/share/asterisk/sounds/en")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RATE = 8000


def sox(*args):
    subprocess.run(["sox", *map(str, args)], check=True, capture_output=True)


def read_wav(path):
    with wave.open(str(path)) as w:
        data = array.array("h", w.readframes(w.getnframes()))
    return data


def write_wav(path, samples):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(array.array("h", samples).tobytes())


# Minutes of speech for the speed comparison: the English prompts, then other installed
# languages' (8 kHz) until there are this many.
SPEED_MIN = 39
OTHER_LANGUAGES = ("fr", "es", "it", "ru")


def speed_material():
    yield from prompts()
    for lang in OTHER_LANGUAGES:
        root = os.path.join(os.path.dirname(ASTERISK), lang)
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "silence")
            for f in sorted(files):
                if f.endswith(".wav"):
                    yield os.path.join(dirpath, f)


def prompts():
    out = []
    for root, dirs, files in os.walk(ASTERISK):
        dirs[:] = sorted(d for d in dirs if d != "silence")
        for f in sorted(files):
            if f.endswith(".wav"):
                out.append(os.path.join(root, f))
    return out


AMR_SIZES = {0: 12, 1: 13, 2: 15, 3: 17, 4: 19, 5: 20, 6: 26, 7: 31, 8: 5, 15: 0}


def drop_frames(data, loss, rng):
    out = bytearray(data[:6])
    pos = 6
    while pos < len(data):
        size = 1 + AMR_SIZES[(data[pos] >> 3) & 15]
        out += b"\x7c" if rng.random() < loss else data[pos:pos + size]
        pos += size
    return bytes(out)


def degrade(clean, work, tag, rng):
    """Noise at 10 dB SNR, AMR-NB 4.75 with 3 % loss, +/-10 dB."""
    src = os.path.join(work, f"{tag}-clean.wav")
    write_wav(src, clean)
    power = sum(s * s for s in clean) / max(1, len(clean))
    # Active power: the loudest 60 % of 20 ms frames (a rough P.56 stand-in).
    frames = [sum(s * s for s in clean[i:i + 160]) / 160 for i in range(0, len(clean) - 159, 160)]
    frames.sort(reverse=True)
    active = frames[: max(1, int(len(frames) * 0.6))]
    power = sum(active) / len(active) if active else power
    noise_rms = (power / 10.0) ** 0.5 / 32768.0
    noise = os.path.join(work, f"{tag}-noise.wav")
    sox("-n", "-r", RATE, "-c", 1, "-b", 16, noise, "synth", len(clean) / RATE, "whitenoise", "vol", 0.5)
    noise_gain = noise_rms / (0.5 / 3 ** 0.5)
    noisy = os.path.join(work, f"{tag}-noisy.wav")
    sox("-m", "-v", 1, src, "-v", f"{noise_gain:.6f}", noise, noisy)
    amr = os.path.join(work, f"{tag}.amr-nb")
    sox(noisy, "-C", 0, amr)
    with open(amr, "rb") as f:
        lossy = drop_frames(f.read(), 0.03, rng)
    with open(amr, "wb") as f:
        f.write(lossy)
    out = os.path.join(work, f"{tag}.wav")
    sox(amr, "-b", 16, out, "vol", f"{rng.choice([-10, 10])}dB")
    return out


def fpcalc_raw(path):
    p = subprocess.run(["fpcalc", "-raw", "-length", "0", path], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if line.startswith("FINGERPRINT="):
            return [int(v) & 0xFFFFFFFF for v in line[12:].split(",") if v]
    return []


def best_ber(q, r):
    best = 1.0
    need = max(1, int(len(q) * 0.8))
    for k in range(-(len(q) - need), len(r) - need + 1):
        d = n = 0
        for i, qv in enumerate(q):
            j = i + k
            if 0 <= j < len(r):
                d += bin(qv ^ r[j]).count("1")
                n += 32
        if n >= need * 32:
            best = min(best, d / n)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--farend", default=os.environ.get("FAREND", "farend"))
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--foreign", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fpcalc-ber", type=float, default=0.35)
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each tool; the best counts")
    ap.add_argument("--speed-only", action="store_true", help="skip the identification comparison")
    ap.add_argument("--no-bench", action="store_true", help="skip the in-process identify timing")
    args = ap.parse_args()
    for tool in ("sox", "fpcalc"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed")
    if not os.path.isdir(ASTERISK):
        sys.exit(f"{ASTERISK} missing (asterisk-core-sounds-en-wav)")
    work = tempfile.mkdtemp(prefix="farend-fpcmp-")
    if not args.speed_only:
        identification(args, work)
    speed(args, work)
    shutil.rmtree(work, ignore_errors=True)


def identification(args, work):
    rng = random.Random(args.seed)
    refs_dir = os.path.join(work, "refs")
    os.makedirs(refs_dir)
    refs, foreign, pending, names = [], [], [], []
    for p in prompts():
        x = read_wav(p)
        if len(x) < RATE // 5:
            continue
        rel = os.path.relpath(p, ASTERISK)[:-4]
        if zlib.crc32(rel.encode()) % 2 == 0:
            pending.extend(x)
            names.append(rel)
            if len(pending) >= 6 * RATE:
                name = f"ref{len(refs):03d}-" + names[0].replace("/", "_")
                write_wav(os.path.join(refs_dir, name + ".wav"), pending)
                refs.append((name, array.array("h", pending)))
                pending, names = [], []
        else:
            foreign.extend(x)
    qlen = 3 * RATE
    queries = []
    for n in range(args.queries):
        name, x = rng.choice(refs)
        off = rng.randrange(len(x) - qlen)
        queries.append((degrade(x[off:off + qlen], work, f"q{n:03d}", rng), name, off / RATE * 1000))
    for n in range(args.foreign):
        off = rng.randrange(len(foreign) - qlen)
        queries.append((degrade(foreign[off:off + qlen], work, f"f{n:03d}", rng), None, None))

    index = os.path.join(work, "index.fefp")
    subprocess.run([args.farend, "fingerprint", "index", refs_dir, "--out", index], check=True, capture_output=True)
    ref_fps = {name: fpcalc_raw(os.path.join(refs_dir, name + ".wav")) for name, _ in refs}

    res = {"farend": [0, 0, 0], "fpcalc": [0, 0, 0]}  # found, false positives, wrong reference
    for path, truth, truth_ms in queries:
        p = subprocess.run([args.farend, "fingerprint", "identify", "--index", index, path, "--json"],
                           capture_output=True, text=True)
        got = json.loads(p.stdout)
        m, off = got.get("match"), got.get("offset_ms")
        qfp = fpcalc_raw(path)
        scores = sorted((best_ber(qfp, r), name) for name, r in ref_fps.items()) if qfp else []
        fm = scores[0][1] if scores and scores[0][0] < args.fpcalc_ber else None
        for tool, match, ok_offset in (("farend", m, off is not None and truth_ms is not None and abs(off - truth_ms) <= 10 + 5),
                                       ("fpcalc", fm, True)):
            if truth is None:
                res[tool][1] += match is not None
            elif match == truth and ok_offset:
                res[tool][0] += 1
            elif match is not None and match != truth:
                res[tool][2] += 1
    print(f"{len(refs)} references ({sum(len(x) for _, x in refs) / RATE:.0f} s); "
          f"{args.queries} indexed + {args.foreign} foreign 3 s queries: 10 dB SNR, AMR-NB 4.75, 3 % loss, +/-10 dB")
    print(f"{'':10} {'found':>12} {'wrong ref':>10} {'false pos':>12}")
    for tool in ("farend", "fpcalc"):
        f, fp, wr = res[tool]
        print(f"{tool:10} {f:>5}/{args.queries:<6} {wr:>10} {fp:>5}/{args.foreign:<6}")
    print("(farend: found = right reference with the offset within 10 ms of the cut plus the ~5 ms codec delay;"
          " fpcalc: right reference)")



def best_time(cmd, runs, check):
    """Best wall-clock time of `runs` runs of a whole process."""
    best = float("inf")
    for _ in range(max(1, runs)):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - t
        if not check(p):
            sys.exit(f"{cmd[0]} failed: {p.stderr.strip()[:300]}")
        best = min(best, elapsed)
    return best


def speed(args, work):
    """Extraction of the same audio by both tools, whole processes, best of N; then identify."""
    # Extraction speed, wall clock, whole processes: all prompts as one WAV.
    allwav_dir = os.path.join(work, "all")
    os.makedirs(allwav_dir)
    allwav = os.path.join(allwav_dir, "all.wav")
    everything = array.array("h")
    for p in speed_material():
        everything.extend(read_wav(p))
        if len(everything) >= SPEED_MIN * 60 * RATE:
            break
    del everything[SPEED_MIN * 60 * RATE:]
    write_wav(allwav, everything)
    t_fp = best_time(["fpcalc", "-raw", "-length", "0", allwav], args.runs,
                     lambda p: "FINGERPRINT=" in p.stdout)
    t_fe = best_time([args.farend, "fingerprint", "index", allwav_dir, "--out", os.path.join(work, "all.fefp")],
                     args.runs, lambda p: p.returncode == 0)
    mins = len(everything) / RATE / 60
    ratio = t_fe / t_fp
    print(f"extraction of {mins:.1f} min of 8 kHz speech, whole processes (start, WAV decode, fingerprint), "
          f"best of {args.runs}:")
    print(f"  farend fingerprint index   {t_fe:.3f} s")
    print(f"  fpcalc -raw -length 0      {t_fp:.3f} s")
    print(f"  farend/fpcalc              {ratio:.2f}x ({'faster' if ratio < 1 else 'slower'})")
    if not args.no_bench:
        bench_identify()


def bench_identify():
    """The in-process identify time of a 3 s query among 1000 references (fingerprint_speed bench)."""
    env = dict(os.environ)
    p = subprocess.run(["cargo", "bench", "-q", "-p", "farend-dsp", "--bench", "fingerprint_speed"],
                       cwd=ROOT, capture_output=True, text=True, env=env)
    lines = [l for l in p.stdout.splitlines() if l.startswith(("identify", "index:"))]
    if p.returncode != 0 or not lines:
        print(f"identify timing: bench failed ({p.stderr.strip()[-300:]})")
    for line in lines:
        print(f"  {line}")


if __name__ == "__main__":
    main()
