#!/usr/bin/env python3
"""Compare `farend score` with the ITU-T P.862 reference code (PyPI `pesq`,
`pesqc2`) on a generated corpus of degraded speech.

Usage: scripts/quality/compare_oracle.py [--bin PATH] [--work DIR] [--jobs N]

- Installs the pinned oracle packages (requirements.txt beside this script)
  into .venv (gitignored) and re-runs itself inside it.
- Builds degraded recordings from the project's speech references
  (audio-refs/**.wav, codec2 8 kHz raw speech in /usr/share/codec2/raw,
  Asterisk prompts in /usr/share/asterisk/sounds/en): G.711 u-law and A-law,
  GSM-FR, AMR-NB (two modes, also transcoded inside a wideband path; sox cannot
  encode AMR-WB), Opus (opusenc/opusdec), random and bursty packet loss, level
  shifts of +-20 dB, delay jumps, added noise, clipping and band limiting, at
  8 kHz and at 16 kHz.
- Compares farend and the oracle on every 8 kHz pair narrowband (`pesq`), and
  on every 16 kHz pair wideband with Corrigendum 2 (`pesqc2`, farend's
  default), wideband 2005 (`pesq`, `--wb-version 2005`) and narrowband at
  16 kHz (`pesq`).
- Prints every comparison and a summary per condition, and exits non-zero
  unless there are at least 200 comparisons, at least 99.5 % agree within
  0.05 MOS-LQO, all within 0.1, and no pair is refused by one side only.

The binary defaults to target/release/farend (built with cargo when missing);
FAREND_BIN or --bin overrides it.
"""

import argparse
import glob
import json
import multiprocessing
import os
import subprocess
import sys
import wave

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VENV = os.path.join(ROOT, ".venv")
VPY = os.path.join(VENV, "bin", "python")


REQUIREMENTS = os.path.join(ROOT, "scripts", "quality", "requirements.txt")


def ensure_venv():
    """Re-exec inside .venv with the pinned oracle packages installed."""
    if os.path.abspath(sys.prefix) == os.path.abspath(VENV) and os.environ.get("FAREND_ORACLE_READY"):
        return
    if not os.path.exists(VPY):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    subprocess.check_call([VPY, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           "-r", REQUIREMENTS])
    os.environ["FAREND_ORACLE_READY"] = "1"
    os.execv(VPY, [VPY] + sys.argv)


ensure_venv()
import numpy as np  # noqa: E402
import pesq  # noqa: E402
import pesqc2  # noqa: E402

SECONDS = 8.0


def read_wav(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2:
            return None, None
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        if w.getnchannels() > 1:
            x = x.reshape(-1, w.getnchannels())[:, 0]
        return w.getframerate(), x.astype(np.float64)


def write_wav(path, rate, x):
    y = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(y.tobytes())


def sox(args):
    subprocess.run(["sox"] + args, check=True, capture_output=True)


def resample(x, rate, to, work):
    if rate == to:
        return x
    a, b = os.path.join(work, "rs_in.wav"), os.path.join(work, "rs_out.wav")
    write_wav(a, rate, x)
    sox([a, "-r", str(to), b])
    return read_wav(b)[1]


def active_level(x):
    return float(np.sqrt(np.mean(x[np.abs(x) > 50] ** 2))) if np.any(np.abs(x) > 50) else 0.0


def references(work):
    """Speech references of SECONDS seconds at 8 kHz and 16 kHz."""
    clips8 = []
    for p in sorted(glob.glob("/usr/share/codec2/raw/*.raw")):
        x = np.fromfile(p, dtype="<i2").astype(np.float64)
        if len(x) > 8000 * 2:
            clips8.append(x)
    prompts = []
    for p in sorted(glob.glob("/usr/share/asterisk/sounds/en/*.wav")):
        rate, x = read_wav(p)
        if rate == 8000 and x is not None and len(x) > 8000 * 1.5:
            prompts.append(x)
    # Chain prompts with short pauses into SECONDS-long references.
    pause = np.zeros(2400)
    chain, cur = [], np.zeros(0)
    for x in prompts:
        cur = np.concatenate([cur, x, pause])
        if len(cur) >= 8000 * SECONDS:
            chain.append(cur)
            cur = np.zeros(0)
        if len(chain) >= 10:
            break
    refs8 = []
    for x in clips8 + chain:
        n = int(8000 * SECONDS)
        if len(x) < n:
            x = np.concatenate([x, np.zeros(n - len(x))])
        x = x[:n]
        lvl = active_level(x)
        if lvl > 0:
            refs8.append(x * (3000.0 / lvl))
    refs16 = []
    for p in sorted(glob.glob(os.path.join(ROOT, "audio-refs", "**", "*.wav"), recursive=True)):
        rate, x = read_wav(p)
        if x is None or len(x) < rate * 3:
            continue
        x = resample(x, rate, 16000, work)[: int(16000 * SECONDS)]
        lvl = active_level(x)
        if lvl > 0:
            refs16.append(x * (3000.0 / lvl))
    for x in refs8[: max(0, 10 - len(refs16))]:
        refs16.append(resample(x, 8000, 16000, work))
    return refs8, refs16


def codec(x, rate, ext, work, opts=()):
    a = os.path.join(work, "c_in.wav")
    b = os.path.join(work, "c_mid." + ext)
    c = os.path.join(work, "c_out.wav")
    write_wav(a, rate, x)
    sox([a] + list(opts) + [b])
    sox([b, "-r", str(rate), "-b", "16", "-e", "signed-integer", c])
    y = read_wav(c)[1]
    return fit(y, len(x))


def opus(x, rate, kbps, work):
    a, b, c = (os.path.join(work, n) for n in ("o_in.wav", "o.opus", "o_out.wav"))
    write_wav(a, rate, x)
    subprocess.run(["opusenc", "--quiet", "--bitrate", str(kbps), a, b], check=True)
    subprocess.run(["opusdec", "--quiet", "--rate", str(rate), b, c], check=True)
    return fit(read_wav(c)[1], len(x))


def fit(y, n):
    return y[:n] if len(y) >= n else np.concatenate([y, np.zeros(n - len(y))])


def loss(x, rate, rng, p_loss, bursty):
    y = x.copy()
    f = rate // 50
    state_bad = False
    for i in range(0, len(x), f):
        if bursty:
            state_bad = rng.random() < (0.6 if state_bad else p_loss / 2)
            lost = state_bad
        else:
            lost = rng.random() < p_loss
        if lost:
            y[i : i + f] = 0
    return y


def delay_jump(x, rate, ms, at=0.45):
    k = int(len(x) * at)
    d = int(rate * abs(ms) / 1000)
    if ms > 0:
        y = np.concatenate([x[:k], np.zeros(d), x[k:]])
    else:
        y = np.concatenate([x[:k], x[k + d :]])
    return fit(y, len(x))


def noise(x, rng, snr_db):
    n = rng.standard_normal(len(x))
    lvl = active_level(x)
    return x + n * lvl / (10 ** (snr_db / 20))


def conditions_nb():
    return [
        ("g711u", lambda x, r, w, g: codec(x, r, "ul", w)),
        ("g711a", lambda x, r, w, g: codec(x, r, "al", w)),
        ("gsm", lambda x, r, w, g: codec(x, r, "gsm", w)),
        ("amr122", lambda x, r, w, g: codec(x, r, "amr-nb", w, ["-C", "7"])),
        ("amr475", lambda x, r, w, g: codec(x, r, "amr-nb", w, ["-C", "0"])),
        ("opus12", lambda x, r, w, g: opus(x, r, 12, w)),
        ("opus6", lambda x, r, w, g: opus(x, r, 6, w)),
        ("loss5", lambda x, r, w, g: loss(x, r, g, 0.05, False)),
        ("burst", lambda x, r, w, g: loss(x, r, g, 0.08, True)),
        ("lvl+20", lambda x, r, w, g: np.clip(x * 10.0, -32768, 32767)),
        ("lvl-20", lambda x, r, w, g: x * 0.1),
        ("jump+", lambda x, r, w, g: delay_jump(x, r, 120)),
        ("jump-", lambda x, r, w, g: delay_jump(x, r, -80)),
        ("noise20", lambda x, r, w, g: noise(x, g, 20)),
        ("noise5", lambda x, r, w, g: noise(x, g, 5)),
        ("clip", lambda x, r, w, g: np.clip(x, -2500, 2500)),
        ("band", lambda x, r, w, g: bandlimit(x, r, w)),
        ("gsm+loss", lambda x, r, w, g: loss(codec(x, r, "gsm", w), r, g, 0.03, False)),
    ]


def bandlimit(x, rate, work):
    a, b = os.path.join(work, "b_in.wav"), os.path.join(work, "b_out.wav")
    write_wav(a, rate, x)
    sox([a, b, "sinc", "500-2500"])
    return fit(read_wav(b)[1], len(x))


def conditions_wb():
    return [
        ("amrnb-in-wb", lambda x, r, w, g: resample(
            codec(resample(x, r, 8000, w), 8000, "amr-nb", w, ["-C", "7"]), 8000, r, w)),
        ("opus16", lambda x, r, w, g: opus(x, r, 16, w)),
        ("opus24", lambda x, r, w, g: opus(x, r, 24, w)),
        ("loss5", lambda x, r, w, g: loss(x, r, g, 0.05, False)),
        ("burst", lambda x, r, w, g: loss(x, r, g, 0.08, True)),
        ("lvl-20", lambda x, r, w, g: x * 0.1),
        ("g711a-in-wb", lambda x, r, w, g: resample(
            codec(resample(x, r, 8000, w), 8000, "al", w), 8000, r, w)),
        ("lvl+20", lambda x, r, w, g: np.clip(x * 10.0, -32768, 32767)),
        ("jump+", lambda x, r, w, g: delay_jump(x, r, 100)),
        ("jump-", lambda x, r, w, g: delay_jump(x, r, -60)),
        ("noise15", lambda x, r, w, g: noise(x, g, 15)),
        ("clip", lambda x, r, w, g: np.clip(x, -2500, 2500)),
        ("band", lambda x, r, w, g: bandlimit(x, r, w)),
        ("nb-in-wb", lambda x, r, w, g: resample(resample(x, r, 8000, w), 8000, r, w)),
    ]


def find_bin(arg):
    b = arg or os.environ.get("FAREND_BIN")
    if b:
        return b
    b = os.path.join(ROOT, "target", "release", "farend")
    if not os.path.exists(b):
        subprocess.check_call(["cargo", "build", "--release", "-p", "farend"], cwd=ROOT)
    return b


# Comparison groups: farend's flags and the oracle that implements the same edition.
GROUPS = {
    "nb8": (["--band", "nb"], "pesq", "nb"),
    "nb16": (["--band", "nb"], "pesq", "nb"),
    "wb": (["--band", "wb"], "pesqc2", "wb"),
    "wb2005": (["--band", "wb", "--wb-version", "2005"], "pesq", "wb"),
}


def oracle_score(job):
    """Scores one pair with the ITU-T reference code; returns (mos, error)."""
    module, mode, rate, rp, dp = job
    _, x = read_wav(rp)
    _, y = read_wav(dp)
    fn = pesq.pesq if module == "pesq" else pesqc2.pesq
    try:
        return fn(rate, x / 32768.0, y / 32768.0, mode), None
    except Exception as e:  # the oracle refuses some pairs (no utterances)
        return None, str(e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "quality-oracle"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(862)
    refs8, refs16 = references(work)
    made = []  # (prefix, rate, ref_path, deg_path, name)
    for prefix, rate, refs, conds in (("nb", 8000, refs8, conditions_nb()), ("wb", 16000, refs16, conditions_wb())):
        for i, x in enumerate(refs):
            rp = os.path.join(work, f"{prefix}{i:02d}.ref.wav")
            write_wav(rp, rate, x)
            for cname, fn in conds:
                try:
                    y = fn(x, rate, work, rng)
                except (subprocess.CalledProcessError, FileNotFoundError) as e:
                    print(f"skip {prefix}{i:02d} {cname}: {e}", file=sys.stderr)
                    continue
                dp = os.path.join(work, f"{prefix}{i:02d}.deg.{cname}.wav")
                write_wav(dp, rate, y)
                made.append((prefix, rate, rp, dp, f"{prefix}{i:02d}/{cname}"))
    # The 8 kHz pairs are scored narrowband; the 16 kHz pairs wideband (both
    # editions) and narrowband at 16 kHz.
    pairs = []  # (group, rate, ref_path, deg_path, name)
    for prefix, rate, rp, dp, name in made:
        for group in (("nb8",) if prefix == "nb" else ("wb", "wb2005", "nb16")):
            pairs.append((group, rate, rp, dp, name))
    counts = {g: sum(p[0] == g for p in pairs) for g in GROUPS}
    print(f"{len(made)} degraded recordings, {len(pairs)} comparisons: "
          + ", ".join(f"{g} {c}" for g, c in counts.items()))

    binary = find_bin(args.bin)
    ours = {}
    for group, (flags, _, _) in GROUPS.items():
        lst = os.path.join(work, f"pairs-{group}.csv")
        with open(lst, "w") as f:
            f.write("reference,degraded\n")
            for p in pairs:
                if p[0] == group:
                    f.write(f"{p[2]},{p[3]}\n")
        out = subprocess.run(
            [binary, "score", "--list", lst, "--json", "--jobs", str(args.jobs)] + flags,
            capture_output=True, text=True,
        )
        for item in json.loads(out.stdout or "[]"):
            ours[(group, item["degraded"])] = item

    jobs = [(GROUPS[g][1], GROUPS[g][2], rate, rp, dp) for g, rate, rp, dp, _ in pairs]
    with multiprocessing.Pool(args.jobs) as pool:
        oracle = pool.map(oracle_score, jobs, chunksize=8)

    rows, both_refuse, one_refuses = [], 0, 0
    for (group, rate, rp, dp, name), (ref_mos, oracle_err) in zip(pairs, oracle):
        mine = ours.get((group, dp), {})
        if ref_mos is None or "mos_lqo" not in mine:
            # Refusing a pair is an answer too: both must refuse it.
            if ref_mos is None and "mos_lqo" not in mine:
                both_refuse += 1
            else:
                one_refuses += 1
            print(f"{group:<7} {name:<22} oracle {ref_mos if ref_mos is not None else oracle_err!s:<10} "
                  f"farend {mine.get('mos_lqo', mine.get('error'))}")
            continue
        rows.append((group, name, ref_mos, mine["mos_lqo"], mine["mos_lqo"] - ref_mos))

    print(f"{'group':<7} {'pair':<22} {'oracle':>7} {'farend':>7} {'delta':>8}")
    for group, name, o, m, d in rows:
        flag = "  <-- over 0.05" if abs(d) > 0.05 else ""
        print(f"{group:<7} {name:<22} {o:7.3f} {m:7.3f} {d:+8.4f}{flag}")

    print(f"\n{'group':<7} {'condition':<12} {'pairs':>5} {'<=0.01':>6} {'<=0.05':>6} {'max|d|':>7}")
    by = {}
    for group, name, _, _, d in rows:
        by.setdefault((group, name.split("/", 1)[1]), []).append(abs(d))
    for (group, cond), ds in sorted(by.items()):
        print(f"{group:<7} {cond:<12} {len(ds):5d} {sum(x <= 0.01 for x in ds):6d} "
              f"{sum(x <= 0.05 for x in ds):6d} {max(ds):7.4f}")
    n = len(rows)
    within05 = sum(abs(r[4]) <= 0.05 for r in rows)
    within01 = sum(abs(r[4]) <= 0.01 for r in rows)
    worst = max((abs(r[4]) for r in rows), default=0.0)
    print(f"\n{n} comparisons scored by both; within 0.01: {within01}; within 0.05: {within05} "
          f"({100.0 * within05 / max(n, 1):.1f} %); max |delta| {worst:.4f}; "
          f"refused by both: {both_refuse}; refused by one only: {one_refuses}")
    ok = n >= 200 and within05 >= 0.995 * n and worst <= 0.1 and one_refuses == 0
    print("PASS" if ok else "FAIL (need >= 200 pairs, >= 99.5 % within 0.05, all within 0.1, "
          "and no pair refused by one side only)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
