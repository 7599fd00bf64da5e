#!/usr/bin/env python3
"""Compare `farend score` with the ITU-T P.862 reference code (PyPI `pesq`,
`pesqc2`) on a generated corpus of degraded speech.

Usage: scripts/quality/compare_oracle.py [--bin PATH] [--work DIR] [--jobs N]
                                         [--generate-only | --oracle-only] [--per-pair]

- Installs the pinned oracle packages (requirements.txt beside this script)
  into .venv (gitignored) and re-runs itself inside it.
- Builds 8 s speech references from every speech source it finds: audio-refs/
  (two female, two male speakers; 8 kHz files for narrowband, 16 kHz files for
  wideband), the codec2 8 kHz raw speech in /usr/share/codec2/raw (long files
  cut into segments, short clips of one estimated sex chained) and the Asterisk
  prompts (/usr/share/asterisk/sounds/en*/, chained in a shuffled order) and
  the wideband G.722 prompts of Asterisk's five talkers in English, Spanish,
  French, Italian and Russian (decoded by SpanDSP; used at 16 kHz and,
  resampled, at 8 kHz).
  Recordings that audio-refs already contains and codec2's test signals (sine
  tones, modem frames) are left out.
- Degrades them at 8 kHz and at 16 kHz: G.711 u-law and A-law, GSM-FR, AMR-NB
  (two modes; sox cannot encode AMR-WB), Opus (opusenc/opusdec) clean and at
  16/20/24 kbit/s with 5 % and 10 % packet loss (opusdec's concealment) on
  speech with pink noise at 15 dB SNR, random and bursty packet loss, level shifts of
  +-20 dB, delay jumps inside speech, 450 ms of silence inserted in a pause
  (a jitter buffer re-synchronising between talk spurts), added noise,
  clipping and band limiting; inside a 16 kHz
  path (down to 8 kHz, codec, back up): G.711 A-law, GSM-FR and AMR-NB 12.2 with
  the level lowered by 9/12/15/18 dB, AMR-NB with lost frames (NO_DATA frames
  concealed by the decoder at 3 %, 6 % and in bursts; decoded 20 ms frames
  zeroed or dropped) and AMR-NB followed by delay jumps of +80 and -40 ms.
  Every condition is applied to the four audio-refs speakers plus references
  taken in turn from the rest of the pool (both sexes), 24 per
  narrowband and 12 per wideband condition.
- Compares farend and the oracle on every 8 kHz pair narrowband (`pesq`), and
  on every 16 kHz pair wideband with Corrigendum 2 (`pesqc2`, farend's
  default), wideband 2005 (`pesq`, `--wb-version 2005`) and narrowband at
  16 kHz (`pesq`).
- Checks farend's exit status: `--list` runs must exit 0, or 2 with every
  unscored pair reported as an error entry (a deliberate refusal); any other
  outcome (a crash, a signal, unparsable or missing output) is re-run one pair
  per process to find the failing pairs, which fail the comparison.
  `--per-pair` always runs one process per pair.
- Prints every comparison, the number of pairs per condition and a summary per
  condition (within 0.05, within 0.1, max |delta|), and whether the target gate
  is met (at least 99.5 % agree within 0.05 MOS-LQO, all within 0.1). It exits
  non-zero when there are fewer than 200 comparisons, a pair is refused by one
  side only, farend failed, or the agreement of a group is worse than its
  regression bound (REGRESSION_BOUNDS); with --gate target, also unless the
  target gate is met.
- With CI set in the environment, a condition that cannot be generated (a
  missing tool, codec or speech source) is an error; without CI it is left out
  with a warning.

--generate-only builds the corpus and prints its counts; --oracle-only also
scores it with the oracle (no farend needed). The corpus is kept in --work and
reused while this script, the speech sources and the codec tools are unchanged
(--regenerate forces a new one). The binary defaults to
target/release/farend (built with cargo when missing); FAREND_BIN or --bin
overrides it.
"""

import argparse
import functools
import hashlib
import glob
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
import wave
import zlib
from concurrent.futures import ThreadPoolExecutor

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
LEVEL = 3000.0  # active speech RMS of every reference (about -21 dBov)
CI = bool(os.environ.get("CI"))
# References per condition: the audio-refs speakers plus this many in total.
PER_CONDITION = {"nb": 24, "wb": 12}
CODEC2_RAW = "/usr/share/codec2/raw"
ASTERISK = ["/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_*"]
# Wideband prompts: Asterisk's G.722 sound packages, one talker per language.
WIDEBAND_PROMPTS = "/usr/share/asterisk/sounds/*_*_[fm]_*"
# codec2's raw directory also holds test signals that are not speech.
NOT_SPEECH = re.compile(r"^(sine|test|.*700d)")


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
    # -R: repeatable dither, so that the corpus is the same on every run.
    subprocess.run(["sox", "-R"] + args, check=True, capture_output=True)


def tmpdir(work):
    """A scratch directory of this process (generation runs in several)."""
    d = os.path.join(work, "tmp", str(os.getpid()))
    os.makedirs(d, exist_ok=True)
    return d


def resample(x, rate, to, work):
    if rate == to:
        return x
    t = tmpdir(work)
    a, b = os.path.join(t, "rs_in.wav"), os.path.join(t, "rs_out.wav")
    write_wav(a, rate, x)
    sox([a, "-r", str(to), b])
    return read_wav(b)[1]


def active_level(x):
    return float(np.sqrt(np.mean(x[np.abs(x) > 50] ** 2))) if np.any(np.abs(x) > 50) else 0.0


def pitch(x, rate):
    """Median F0 (Hz) of the loud voiced 40 ms frames, by autocorrelation; 0 if none."""
    f, hop = int(0.04 * rate), int(0.01 * rate)
    lvl = np.sqrt(np.mean(x ** 2))
    lo, hi = int(rate / 400), int(rate / 60)
    found = []
    for i in range(0, len(x) - f, hop):
        s = x[i : i + f] - np.mean(x[i : i + f])
        if np.sqrt(np.mean(s ** 2)) < 0.7 * lvl:
            continue
        ac = np.correlate(s, s, "full")[f - 1 :]
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.5 * ac[0]:
            found.append(rate / k)
    return float(np.median(found)) if found else 0.0


def sex_of(f0):
    return "?" if f0 <= 0 else ("m" if f0 < 160 else "f")


def fit(y, n):
    return y[:n] if len(y) >= n else np.concatenate([y, np.zeros(n - len(y))])


def chain(clips, rate, pause_s):
    """Joins clips with pauses into SECONDS-long pieces (a remainder under half that is dropped)."""
    n, pause = int(rate * SECONDS), np.zeros(int(rate * pause_s))
    out, cur, names = [], np.zeros(0), []
    for name, x in clips:
        cur = np.concatenate([cur, x, pause])
        names.append(name)
        if len(cur) >= n:
            out.append(("+".join(names), cur[:n]))
            cur, names = np.zeros(0), []
    if len(cur) >= rate * SECONDS / 2:
        out.append(("+".join(names), fit(cur, n)))
    return out


@functools.lru_cache(maxsize=1)
def spandsp():
    """SpanDSP's G.722 decoder (libspandsp, a setup package), through ctypes."""
    import ctypes
    lib = ctypes.CDLL("libspandsp.so.2")
    lib.g722_decode_init.restype = ctypes.c_void_p
    lib.g722_decode_init.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.g722_decode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.g722_decode_free.argtypes = [ctypes.c_void_p]
    return lib


def g722_decode(path):
    """16 kHz samples of a 64 kbit/s G.722 file."""
    lib = spandsp()
    with open(path, "rb") as f:
        data = f.read()
    state = lib.g722_decode_init(None, 64000, 0)
    out = np.zeros(2 * len(data) + 16, dtype=np.int16)
    n = lib.g722_decode(state, out.ctypes.data, data, len(data))
    lib.g722_decode_free(state)
    return out[:n].astype(np.float64)


def wideband_prompts(problems):
    """16 kHz references from the wideband (G.722) prompts of every talker installed,
    chained with pauses in a shuffled order: two per talker."""
    refs = []
    for d in sorted(glob.glob(WIDEBAND_PROMPTS)):
        talker = os.path.basename(d)
        sex = talker.split("_")[2]
        clips = []
        for p in sorted(glob.glob(os.path.join(d, "*.g722"))):
            x = g722_decode(p)
            if len(x) > 16000 * 0.8:
                clips.append((os.path.basename(p)[:-5], x))
        order = np.random.default_rng(7).permutation(len(clips))
        for label, x in chain([clips[i] for i in order], 16000, 0.3)[:2]:
            refs.append(Ref("g722", f"{talker}:{label}", 16000, x, sex))
    if len(refs) < 8:
        problems.append(f"{WIDEBAND_PROMPTS}: fewer than four wideband talkers "
                        "(packages asterisk-core-sounds-*-g722)")
    return refs


def manifest_sources():
    """Files audio-refs/ was made from (their speech is in the pool already)."""
    try:
        with open(os.path.join(ROOT, "audio-refs", "manifest.toml")) as f:
            return {os.path.realpath(p) for p in re.findall(r'"(/usr/share/[^"]+)"', f.read())}
    except OSError:
        return set()


class Ref:
    def __init__(self, source, label, rate, x, sex=None):
        self.source, self.label, self.rate = source, label, rate
        self.f0 = pitch(x, rate)
        self.sex = sex or sex_of(self.f0)
        lvl = active_level(x)
        self.x = x * (LEVEL / lvl) if lvl > 0 else x
        self.name = self.path = None


def references(work, problems):
    """The speech pool: (narrowband refs at 8 kHz, wideband refs at 16 kHz)."""
    n8 = int(8000 * SECONDS)
    used = manifest_sources()
    audio8, audio16 = [], []
    for p in sorted(glob.glob(os.path.join(ROOT, "audio-refs", "**", "*.wav"), recursive=True)):
        rate, x = read_wav(p)
        if x is None or len(x) < rate * 3:
            continue
        base = os.path.basename(p).split(".")[0]
        m = re.search(r"-([fm])\d", base)
        label = os.path.relpath(p, os.path.join(ROOT, "audio-refs"))
        if rate == 8000:
            audio8.append(Ref("audio-refs", label, 8000, fit(x, n8), m and m.group(1)))
        else:
            x = resample(x, rate, 16000, work)
            audio16.append(Ref("audio-refs", label, 16000, fit(x, 2 * n8), m and m.group(1)))
    if not audio8 or not audio16:
        problems.append("audio-refs/: no 8 kHz or no 16 kHz speech references")

    # codec2: long recordings give up to 3 segments, short clips are chained by sex.
    raws = {}
    for p in sorted(glob.glob(os.path.join(CODEC2_RAW, "*.raw"))):
        name = os.path.basename(p)[:-4]
        if NOT_SPEECH.match(name) or os.path.realpath(p) in used:
            continue
        x = np.fromfile(p, dtype="<i2").astype(np.float64)
        if len(x) >= 8000:
            raws[name] = x
    # Drop a recording that starts another one (hts1a is the start of hts1, ...).
    for a in list(raws):
        if any(b != a and len(raws[b]) > len(raws[a]) and np.array_equal(raws[a][:4000], raws[b][:4000])
               for b in raws):
            del raws[a]
    codec2, short = [], {"m": [], "f": [], "?": []}
    for name, x in raws.items():
        if len(x) >= 7 * 8000:
            k = int(min(3, max(1, len(x) // n8)))
            for off in np.linspace(0, max(0, len(x) - n8), k).astype(int):
                codec2.append(Ref("codec2", f"{name}@{off / 8000:.0f}s", 8000, fit(x[off:], n8)))
        else:
            short[sex_of(pitch(x, 8000))].append((name, x))
    for sex, clips in short.items():
        for label, x in chain(clips, 8000, 0.3):
            codec2.append(Ref("codec2", label, 8000, x))
    if not codec2:
        problems.append(f"{CODEC2_RAW}: no codec2 speech (package codec2-examples)")

    # Asterisk prompts (Allison Smith, female), shuffled, chained with short pauses.
    prompts, seen = [], set()
    for d in ASTERISK:
        for p in sorted(glob.glob(os.path.join(d, "*.wav"))):
            real = os.path.realpath(p)
            if real in seen or real in used or os.path.basename(p) in {os.path.basename(u) for u in used}:
                continue
            seen.add(real)
            rate, x = read_wav(p)
            if rate == 8000 and x is not None and len(x) > 8000 * 0.8:
                prompts.append((os.path.basename(p)[:-4], x))
    order = np.random.default_rng(5).permutation(len(prompts))
    asterisk = [Ref("asterisk", label, 8000, x, "f")
                for label, x in chain([prompts[i] for i in order], 8000, 0.3)[:12]]
    if not asterisk:
        problems.append("/usr/share/asterisk/sounds/en*: no prompts (package asterisk-core-sounds-en-wav)")

    # The rest of the pool alternates sexes and sources, so that any few
    # consecutive references mix them.
    def interleave(refs):
        by = {}
        for r in refs:
            by.setdefault((r.sex, r.source), []).append(r)
        keys = sorted(by, key=lambda k: (k[0] != "m", k[1]))
        out = []
        while any(by.values()):
            for k in keys:
                if by[k]:
                    out.append(by[k].pop(0))
        return out

    # Wideband prompts of five talkers in five languages: the pool's only wideband speech
    # besides audio-refs' en-f1 (the other 16 kHz references are narrowband speech
    # resampled); scored at 8 kHz too, resampled down.
    wide = {r.label: r for r in wideband_prompts(problems)}
    wide8 = [Ref(r.source, r.label, 8000, resample(r.x, 16000, 8000, work), r.sex) for r in wide.values()]
    rest8 = interleave(codec2 + asterisk + wide8)
    rest16 = [wide[r.label] if r.source == "g722" else
              Ref(r.source, r.label, 16000, resample(r.x, 8000, 16000, work), r.sex) for r in rest8]
    refs8, refs16 = audio8 + rest8, audio16 + rest16
    for prefix, refs in (("nb", refs8), ("wb", refs16)):
        for i, r in enumerate(refs):
            r.name = f"{prefix}{i:02d}"
            r.path = os.path.join(work, f"{r.name}.ref.wav")
            write_wav(r.path, r.rate, r.x)
    return refs8, len(audio8), refs16, len(audio16)


def codec(x, rate, ext, work, opts=()):
    t = tmpdir(work)
    a = os.path.join(t, "c_in.wav")
    b = os.path.join(t, "c_mid." + ext)
    c = os.path.join(t, "c_out.wav")
    write_wav(a, rate, x)
    sox([a] + list(opts) + [b])
    sox([b, "-r", str(rate), "-b", "16", "-e", "signed-integer", c])
    y = read_wav(c)[1]
    return fit(y, len(x))


def opus(x, rate, kbps, work, loss_pct=0, rng=None):
    """Opus at kbps; with loss_pct, opusdec drops that share of packets and conceals them.

    opusdec's loss pattern is the same on every run, so the speech is shifted by
    a random number of 20 ms packets of silence to vary where the losses fall."""
    t = tmpdir(work)
    a, b, c = (os.path.join(t, n) for n in ("o_in.wav", "o.opus", "o_out.wav"))
    lead = int(rng.integers(0, 50)) * rate // 50 if loss_pct else 0
    write_wav(a, rate, np.concatenate([np.zeros(lead), x]))
    subprocess.run(["opusenc", "--quiet", "--bitrate", str(kbps), a, b], check=True, capture_output=True)
    dec = ["opusdec", "--quiet", "--rate", str(rate)]
    if loss_pct:
        dec += ["--packet-loss", str(loss_pct)]
    subprocess.run(dec + [b, c], check=True, capture_output=True)
    return fit(read_wav(c)[1][lead:], len(x))


def lost_frames(n, rng, p_loss, bursty):
    """Which of n frames are lost: independent, or bursts (two-state Markov chain)."""
    out, bad = [], False
    for _ in range(n):
        if bursty:
            bad = rng.random() < (0.6 if bad else p_loss / 2)
            out.append(bad)
        else:
            out.append(rng.random() < p_loss)
    return np.array(out, dtype=bool)


def loss(x, rate, rng, p_loss, bursty):
    y = x.copy()
    f = rate // 50
    for k, lost in enumerate(lost_frames((len(x) + f - 1) // f, rng, p_loss, bursty)):
        if lost:
            y[k * f : (k + 1) * f] = 0
    return y


def drop(x, rate, rng, p_loss):
    """Removes lost 20 ms frames (each one a -20 ms delay step), padded at the end."""
    f = rate // 50
    lost = lost_frames((len(x) + f - 1) // f, rng, p_loss, False)
    y = np.concatenate([x[k * f : (k + 1) * f] for k in range(len(lost)) if not lost[k]])
    return fit(y, len(x))


# Payload bytes of an AMR-NB storage-format frame (RFC 4867 section 5), by frame type.
AMR_SIZES = [12, 13, 15, 17, 19, 20, 26, 31, 5, 6, 5, 5, 0, 0, 0, 0]
AMR_NO_DATA = bytes([15 << 3 | 4])


def amr_lossy(x8, work, rng, p_loss, bursty, mode=7):
    """AMR-NB at 8 kHz with lost frames: they become NO_DATA, which the decoder conceals."""
    t = tmpdir(work)
    a, b, c = (os.path.join(t, n) for n in ("a_in.wav", "a.amr-nb", "a_out.wav"))
    write_wav(a, 8000, x8)
    sox([a, "-C", str(mode), b])
    with open(b, "rb") as f:
        data = f.read()
    if not data.startswith(b"#!AMR\n"):
        raise RuntimeError("sox wrote no AMR-NB storage-format file")
    frames, i = [], 6
    while i < len(data):
        n = 1 + AMR_SIZES[(data[i] >> 3) & 15]
        frames.append(data[i : i + n])
        i += n
    lost = lost_frames(len(frames), rng, p_loss, bursty)
    with open(b, "wb") as f:
        f.write(b"#!AMR\n" + b"".join(AMR_NO_DATA if lost[k] else fr for k, fr in enumerate(frames)))
    sox([b, "-r", "8000", "-b", "16", "-e", "signed-integer", c])
    return fit(read_wav(c)[1], len(x8))


def delay_jump(x, rate, ms, at):
    """Inserts silence (ms > 0) or drops audio (ms < 0) at fraction `at` of the signal; a random
    `at` keeps the jump off the scorers' frame grid, as a network's would be."""
    k = int(len(x) * at)
    d = int(rate * abs(ms) / 1000)
    if ms > 0:
        y = np.concatenate([x[:k], np.zeros(d), x[k:]])
    else:
        y = np.concatenate([x[:k], x[k + d :]])
    return fit(y, len(x))


def pause_jump(x, rate, ms):
    """Inserts `ms` of silence in the quietest 100 ms of the middle half of the signal, as a
    jitter buffer re-synchronising between talk spurts does; the recording grows by `ms`."""
    w = rate // 10
    lo, hi = len(x) // 4, 3 * len(x) // 4 - w
    energy = np.convolve(x[lo : hi + w] ** 2, np.ones(w), "valid")
    k = lo + int(np.argmin(energy)) + w // 2
    return np.concatenate([x[:k], np.zeros(int(rate * ms / 1000)), x[k:]])


def noise(x, rng, snr_db, pink=False):
    """White (or pink: -3 dB per octave) Gaussian noise at snr_db below the active speech level."""
    n = rng.standard_normal(len(x))
    if pink:
        f = np.fft.rfft(n)
        f /= np.sqrt(np.maximum(np.arange(len(f)), 1))
        n = np.fft.irfft(f, len(x))
        n /= np.sqrt(np.mean(n ** 2))
    lvl = active_level(x)
    return x + n * lvl / (10 ** (snr_db / 20))


def bandlimit(x, rate, work):
    t = tmpdir(work)
    a, b = os.path.join(t, "b_in.wav"), os.path.join(t, "b_out.wav")
    write_wav(a, rate, x)
    sox([a, b, "sinc", "500-2500"])
    return fit(read_wav(b)[1], len(x))


def via8k(fn):
    """Runs fn(x8, work, rng) at 8 kHz inside a path at the reference's rate."""
    return lambda x, r, w, g: resample(fn(resample(x, r, 8000, w), w, g), 8000, r, w)


def amr(x, r, w, mode=7):
    return codec(x, r, "amr-nb", w, ["-C", str(mode)])


def opus_lossy():
    """Opus at 16/20/24 kbit/s, 5 % and 10 % packet loss, on speech with pink noise at 15 dB SNR."""
    return [(f"opus{k}-loss{p}-pink15",
             lambda x, r, w, g, k=k, p=p: opus(noise(x, g, 15, pink=True), r, k, w, p, g))
            for k in (16, 20, 24) for p in (5, 10)]


def amr_jumps():
    """AMR-NB 12.2, then a delay jump somewhere in the middle third."""
    return [(f"amr+jump{ms:+d}", lambda x, r, w, g, ms=ms: delay_jump(
        via8k(lambda y, w2, g2: amr(y, 8000, w2))(x, r, w, g), r, ms, g.uniform(0.35, 0.65)))
        for ms in (80, -40)]


def conditions_nb():
    return [
        ("g711u", lambda x, r, w, g: codec(x, r, "ul", w)),
        ("g711a", lambda x, r, w, g: codec(x, r, "al", w)),
        ("gsm", lambda x, r, w, g: codec(x, r, "gsm", w)),
        ("amr122", lambda x, r, w, g: amr(x, r, w, 7)),
        ("amr475", lambda x, r, w, g: amr(x, r, w, 0)),
        ("opus12", lambda x, r, w, g: opus(x, r, 12, w)),
        ("opus6", lambda x, r, w, g: opus(x, r, 6, w)),
        ("loss5", lambda x, r, w, g: loss(x, r, g, 0.05, False)),
        ("burst", lambda x, r, w, g: loss(x, r, g, 0.08, True)),
        ("lvl+20", lambda x, r, w, g: np.clip(x * 10.0, -32768, 32767)),
        ("lvl-20", lambda x, r, w, g: x * 0.1),
        ("jump+", lambda x, r, w, g: delay_jump(x, r, 120, g.uniform(0.35, 0.65))),
        ("jump-", lambda x, r, w, g: delay_jump(x, r, -80, g.uniform(0.35, 0.65))),
        ("pausejump+450", lambda x, r, w, g: pause_jump(x, r, 450)),
        ("noise20", lambda x, r, w, g: noise(x, g, 20)),
        ("noise5", lambda x, r, w, g: noise(x, g, 5)),
        ("clip", lambda x, r, w, g: np.clip(x, -2500, 2500)),
        ("band", lambda x, r, w, g: bandlimit(x, r, w)),
        ("gsm+loss", lambda x, r, w, g: loss(codec(x, r, "gsm", w), r, g, 0.03, False)),
        *opus_lossy(),
        ("amrloss6", lambda x, r, w, g: amr_lossy(x, w, g, 0.06, False)),
        ("amrburst", lambda x, r, w, g: amr_lossy(x, w, g, 0.06, True)),
        *amr_jumps(),
    ]


def conditions_wb():
    return [
        ("amrnb-in-wb", via8k(lambda x, w, g: amr(x, 8000, w))),
        ("opus16", lambda x, r, w, g: opus(x, r, 16, w)),
        ("opus24", lambda x, r, w, g: opus(x, r, 24, w)),
        ("loss5", lambda x, r, w, g: loss(x, r, g, 0.05, False)),
        ("burst", lambda x, r, w, g: loss(x, r, g, 0.08, True)),
        ("lvl-20", lambda x, r, w, g: x * 0.1),
        ("g711a-in-wb", via8k(lambda x, w, g: codec(x, 8000, "al", w))),
        ("lvl+20", lambda x, r, w, g: np.clip(x * 10.0, -32768, 32767)),
        ("jump+", lambda x, r, w, g: delay_jump(x, r, 100, g.uniform(0.35, 0.65))),
        ("jump-", lambda x, r, w, g: delay_jump(x, r, -60, g.uniform(0.35, 0.65))),
        ("pausejump+450", lambda x, r, w, g: pause_jump(x, r, 450)),
        ("noise15", lambda x, r, w, g: noise(x, g, 15)),
        ("clip", lambda x, r, w, g: np.clip(x, -2500, 2500)),
        ("band", lambda x, r, w, g: bandlimit(x, r, w)),
        ("nb-in-wb", lambda x, r, w, g: resample(resample(x, r, 8000, w), 8000, r, w)),
        *opus_lossy(),
        *[(f"{c}-in-wb-{db}dB", via8k(lambda x, w, g, c=c, db=db: codec(
            x * 10 ** (-db / 20), 8000, "gsm" if c == "gsm" else "amr-nb",
            w, [] if c == "gsm" else ["-C", "7"])))
          for c in ("gsm", "amr") for db in (9, 12, 15, 18)],
        ("amrloss3-in-wb", via8k(lambda x, w, g: amr_lossy(x, w, g, 0.03, False))),
        ("amrloss6-in-wb", via8k(lambda x, w, g: amr_lossy(x, w, g, 0.06, False))),
        ("amrburst-in-wb", via8k(lambda x, w, g: amr_lossy(x, w, g, 0.06, True))),
        ("amrzero3-in-wb", via8k(lambda x, w, g: loss(amr(x, 8000, w), 8000, g, 0.03, False))),
        ("amrdrop3-in-wb", via8k(lambda x, w, g: drop(amr(x, 8000, w), 8000, g, 0.03))),
        *amr_jumps(),
    ]


CONDITIONS = {"nb": dict(conditions_nb()), "wb": dict(conditions_wb())}


def assign(refs, fixed, prefix):
    """References of each condition: the first `fixed` ones plus the others in turn."""
    want = PER_CONDITION[prefix]
    head, rest = refs[:fixed], refs[fixed:]
    k = max(0, min(len(rest), want - len(head)))
    out = {}
    for c, cname in enumerate(CONDITIONS[prefix]):
        out[cname] = head + [rest[(c * k + j) % len(rest)] for j in range(k)] if rest else list(head)
    return out


def generate(job):
    """Writes one degraded recording; returns None or an error message."""
    prefix, cname, rate, rp, dp, work = job
    rng = np.random.default_rng([862, zlib.crc32(os.path.basename(dp).encode())])
    try:
        y = CONDITIONS[prefix][cname](read_wav(rp)[1], rate, work, rng)
        write_wav(dp, rate, y)
        return None
    except subprocess.CalledProcessError as e:
        err = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        return f"{' '.join(map(str, e.cmd[:2]))}...: exit {e.returncode}: {err[-1] if err else ''}"
    except Exception as e:  # noqa: BLE001 - a missing tool, a bad file: reported per condition
        return f"{type(e).__name__}: {e}"


def missing_tools():
    """The codec tools the corpus needs and cannot find."""
    out = [t for t in ("sox", "opusenc", "opusdec") if not shutil.which(t)]
    if "sox" not in out:
        formats = subprocess.run(["sox", "-h"], capture_output=True, text=True).stdout
        m = re.search(r"AUDIO FILE FORMATS:(.*)", formats)
        listed = set(m.group(1).split()) if m else set()
        out += [f"sox format {f} (libsox-fmt-all)" for f in ("gsm", "amr-nb", "ul", "al") if f not in listed]
    return out


def corpus_key(refs):
    """What the corpus depends on: this script, the codec tools, the references."""
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(f.read())
    for tool in (["sox", "--version"], ["opusenc", "--version"], ["opusdec", "--version"]):
        try:
            h.update(subprocess.run(tool, capture_output=True).stdout)
        except OSError:
            h.update(b"missing " + tool[0].encode())
    for r in refs:
        h.update(r.name.encode() + np.round(r.x).astype("<i2").tobytes())
    return h.hexdigest()


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


def tail(text, n=300):
    text = (text or "").strip().replace("\n", " | ")
    return text if len(text) <= n else "..." + text[-n:]


def describe_rc(rc):
    return f"signal {-rc}" if rc < 0 else f"exit {rc}"


def farend_one(binary, flags, rp, dp):
    """One pair in its own process: ("ok", item) | ("refused", msg) | ("failed", msg)."""
    try:
        out = subprocess.run([binary, "score", rp, dp, "--json"] + flags,
                             capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "failed", "timed out after 300 s"
    if out.returncode == 0:
        try:
            item = json.loads(out.stdout)
        except ValueError:
            return "failed", f"exit 0 but no JSON: {tail(out.stdout)} {tail(out.stderr)}"
        if isinstance(item, dict) and isinstance(item.get("mos_lqo"), (int, float)):
            return "ok", item
        return "failed", f"exit 0 but no mos_lqo: {tail(out.stdout)}"
    if out.returncode == 2 and "farend: error:" in out.stderr and "panicked" not in out.stderr:
        return "refused", tail(out.stderr)
    return "failed", f"{describe_rc(out.returncode)}: {tail(out.stderr)}"


def farend_group(binary, group, flags, pairs, work, jobs, per_pair):
    """Scores the pairs of one group; returns {index: (status, item or message)}."""
    res = {}
    if not per_pair:
        lst = os.path.join(work, f"pairs-{group}.csv")
        with open(lst, "w") as f:
            f.write("reference,degraded\n")
            for p in pairs:
                f.write(f"{p[2]},{p[3]}\n")
        out = subprocess.run([binary, "score", "--list", lst, "--json", "--jobs", str(jobs)] + flags,
                             capture_output=True, text=True)
        try:
            items = json.loads(out.stdout)
        except ValueError:
            items = None
        sane = (isinstance(items, list) and len(items) == len(pairs)
                and all(isinstance(it, dict) and it.get("degraded") == p[3] for it, p in zip(items, pairs)))
        if sane:
            for i, it in enumerate(items):
                if isinstance(it.get("mos_lqo"), (int, float)):
                    res[i] = ("ok", it)
                elif "error" in it:
                    res[i] = ("refused", str(it["error"]))
                else:
                    res[i] = ("failed", f"list entry without mos_lqo or error: {tail(json.dumps(it))}")
            refused = sum(s == "refused" for s, _ in res.values())
            # 0 when every pair was scored, 2 when some were refused; anything else is a fault.
            if out.returncode == (2 if refused else 0):
                return res
        print(f"farend score --list ({group}): {describe_rc(out.returncode)}"
              f"{'' if sane else ', output unusable'}: {tail(out.stderr)}; "
              f"re-running its {len(pairs)} pairs one per process", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        done = ex.map(lambda p: farend_one(binary, flags, p[2], p[3]), pairs)
        return dict(enumerate(done))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "quality-oracle"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--generate-only", action="store_true", help="build the corpus, print its counts")
    mode.add_argument("--oracle-only", action="store_true", help="build the corpus, score it with the oracle only")
    ap.add_argument("--per-pair", action="store_true", help="run farend once per pair instead of --list")
    ap.add_argument("--gate", choices=["regression", "target"], default="regression",
                    help="regression: fail when agreement is worse than today's bounds (default); "
                         "target: fail unless >= 99.5 %% agree within 0.05 and all within 0.1")
    ap.add_argument("--regenerate", action="store_true", help="build the corpus again even if unchanged")
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    t0 = time.perf_counter()

    problems = [f"missing tool: {t}" for t in missing_tools()]
    if problems and CI:
        for p in problems:
            print(f"error: cannot generate the corpus: {p}", file=sys.stderr)
        print("FAIL: CI is set and part of the corpus cannot be generated", file=sys.stderr)
        sys.exit(2)
    refs8, fixed8, refs16, fixed16 = references(work, problems)
    print(f"speech pool: {len(refs8)} narrowband references at 8 kHz, {len(refs16)} wideband at 16 kHz")
    for r in refs8 + refs16:
        print(f"  {r.name}  {r.source:<10} {r.sex}  F0 {r.f0:5.0f} Hz  {r.label[:70]}")

    gen, made = [], []  # made: (prefix, cname, ref, deg_path)
    for prefix, refs, fixed in (("nb", refs8, fixed8), ("wb", refs16, fixed16)):
        for cname, chosen in assign(refs, fixed, prefix).items():
            for r in chosen:
                dp = os.path.join(work, f"{r.name}.deg.{cname}.wav")
                gen.append((prefix, cname, r.rate, r.path, dp, work))
                made.append((prefix, cname, r, dp))
    stamp = os.path.join(work, "corpus.json")
    key = corpus_key(refs8 + refs16)
    try:
        with open(stamp) as f:
            cached = json.load(f)
    except (OSError, ValueError):
        cached = {}
    reuse = (not args.regenerate and cached.get("key") == key
             and cached.get("degraded") == [g[4] for g in gen] and all(os.path.exists(g[4]) for g in gen))
    if reuse:
        errors = [None] * len(gen)
        print("corpus unchanged since the last run: reusing it (--regenerate to build it again)")
    else:
        if os.path.exists(stamp):
            os.remove(stamp)
        keep = {r.path for r in refs8 + refs16}
        for old in glob.glob(os.path.join(work, "*.wav")):
            if old not in keep:
                os.remove(old)
        with multiprocessing.Pool(args.jobs) as pool:
            errors = pool.map(generate, gen, chunksize=2)
        if not any(errors) and not problems:
            with open(stamp, "w") as f:
                json.dump({"key": key, "degraded": [g[4] for g in gen]}, f)
    failed_conds = {}
    for (prefix, cname, r, _), err in zip(made, errors):
        if err:
            failed_conds.setdefault((prefix, cname), []).append(f"{r.name}: {err}")
    for (prefix, cname), errs in sorted(failed_conds.items()):
        problems.append(f"{prefix} condition {cname}: {len(errs)} recording(s) not generated, e.g. {errs[0]}")
    made = [m for m, err in zip(made, errors) if not err]
    t_gen = time.perf_counter() - t0
    if problems:
        for p in problems:
            print(f"{'error' if CI else 'warning'}: cannot generate: {p}", file=sys.stderr)
        if CI:
            print("FAIL: CI is set and part of the corpus cannot be generated", file=sys.stderr)
            sys.exit(2)

    # The 8 kHz pairs are scored narrowband; the 16 kHz pairs wideband (both
    # editions) and narrowband at 16 kHz.
    pairs = []  # (group, rate, ref_path, deg_path, name)
    for prefix, cname, r, dp in made:
        for group in (("nb8",) if prefix == "nb" else ("wb", "wb2005", "nb16")):
            pairs.append((group, r.rate, r.path, dp, f"{r.name}/{cname}"))
    counts = {g: sum(p[0] == g for p in pairs) for g in GROUPS}
    print(f"\n{len(made)} degraded recordings, {len(pairs)} comparisons: "
          + ", ".join(f"{g} {c}" for g, c in counts.items()) + f" (generated in {t_gen:.1f} s)")
    per_cond = {}
    for prefix, cname, r, _ in made:
        per_cond.setdefault((prefix, cname), []).append(r)
    print(f"\n{'rate':<4} {'condition':<20} {'pairs':>5} {'comparisons':>11}  sexes  sources")
    for prefix in ("nb", "wb"):
        for cname in CONDITIONS[prefix]:
            rs = per_cond.get((prefix, cname), [])
            sexes = "".join(sorted({r.sex for r in rs}))
            srcs = ",".join(sorted({r.source for r in rs}))
            print(f"{'8k' if prefix == 'nb' else '16k':<4} {cname:<20} {len(rs):5d} "
                  f"{len(rs) * (1 if prefix == 'nb' else 3):11d}  {sexes:<5}  {srcs}")
    if args.generate_only:
        return

    t1 = time.perf_counter()
    ours = {}  # pair index -> (status, item or message)
    if not args.oracle_only:
        binary = find_bin(args.bin)
        for group, (flags, _, _) in GROUPS.items():
            idx = [i for i, p in enumerate(pairs) if p[0] == group]
            if not idx:
                continue
            res = farend_group(binary, group, flags, [pairs[i] for i in idx], work, args.jobs, args.per_pair)
            for k, i in enumerate(idx):
                ours[i] = res[k]
    t_farend = time.perf_counter() - t1

    t2 = time.perf_counter()
    jobs = [(GROUPS[g][1], GROUPS[g][2], rate, rp, dp) for g, rate, rp, dp, _ in pairs]
    with multiprocessing.Pool(args.jobs) as pool:
        oracle = pool.map(oracle_score, jobs, chunksize=4)
    t_oracle = time.perf_counter() - t2
    timing = (f"generation {t_gen:.1f} s, farend {t_farend:.1f} s, oracle {t_oracle:.1f} s "
              f"({1000 * t_oracle * args.jobs / max(len(pairs), 1):.0f} ms CPU per comparison), "
              f"{args.jobs} jobs")

    if args.oracle_only:
        print(f"\n{'group':<7} {'condition':<20} {'pairs':>5} {'refused':>7} {'min':>6} {'median':>6} {'max':>6}")
        by = {}
        for (group, _, _, _, name), (mos, _) in zip(pairs, oracle):
            by.setdefault((group, name.split("/", 1)[1]), []).append(mos)
        for (group, cond), ms in sorted(by.items()):
            ok = [m for m in ms if m is not None]
            stats = f"{min(ok):6.2f} {np.median(ok):6.2f} {max(ok):6.2f}" if ok else ""
            print(f"{group:<7} {cond:<20} {len(ms):5d} {len(ms) - len(ok):7d} {stats}")
        print(f"\n{len(pairs)} comparisons scored by the oracle; {timing}")
        return

    rows, both_refuse, one_refuses, faults, warned = [], [], [], [], 0
    for i, ((group, rate, rp, dp, name), (ref_mos, oracle_err)) in enumerate(zip(pairs, oracle)):
        status, mine = ours[i]
        if status == "failed":
            faults.append((group, name, mine))
            continue
        if status == "ok" and mine.get("warnings"):
            warned += 1
        if ref_mos is None or status != "ok":
            # Refusing a pair is an answer too: both must refuse it.
            (both_refuse if ref_mos is None and status != "ok" else one_refuses).append((group, name))
            theirs = f"{ref_mos:.3f}" if ref_mos is not None else f"refused ({oracle_err})"
            print(f"{group:<7} {name:<30} oracle {theirs:<10} "
                  f"farend {format(mine['mos_lqo'], '.3f') if status == 'ok' else 'refused (' + mine + ')'}")
            continue
        rows.append((group, name, ref_mos, mine["mos_lqo"], mine["mos_lqo"] - ref_mos))

    print(f"\n{'group':<7} {'pair':<30} {'oracle':>7} {'farend':>7} {'delta':>8}")
    for group, name, o, m, d in rows:
        flag = "  <-- over 0.1" if abs(d) > 0.1 else "  <-- over 0.05" if abs(d) > 0.05 else ""
        print(f"{group:<7} {name:<30} {o:7.3f} {m:7.3f} {d:+8.4f}{flag}")
    for group, name, msg in faults:
        print(f"FAREND FAILED  {group:<7} {name:<30} {msg}")

    print(f"\n{'group':<7} {'condition':<20} {'pairs':>5} {'scored':>6} {'<=0.05':>6} {'<=0.1':>6} "
          f"{'max|d|':>7} {'refused':>7} {'failed':>6}")
    by = {}
    for group, _, _, _, name in pairs:
        by.setdefault((group, name.split("/", 1)[1]), {"n": 0, "d": [], "ref": 0, "fail": 0})["n"] += 1
    for group, name, _, _, d in rows:
        by[(group, name.split("/", 1)[1])]["d"].append(abs(d))
    for group, name in both_refuse + one_refuses:
        by[(group, name.split("/", 1)[1])]["ref"] += 1
    for group, name, _ in faults:
        by[(group, name.split("/", 1)[1])]["fail"] += 1
    for (group, cond), s in sorted(by.items()):
        ds = s["d"]
        print(f"{group:<7} {cond:<20} {s['n']:5d} {len(ds):6d} {sum(x <= 0.05 for x in ds):6d} "
              f"{sum(x <= 0.1 for x in ds):6d} {max(ds, default=0.0):7.4f} {s['ref']:7d} {s['fail']:6d}")
    print()
    for group in GROUPS:
        ds = [abs(r[4]) for r in rows if r[0] == group]
        if ds:
            print(f"{group:<7} {len(ds):5d} scored by both; within 0.05: {sum(x <= 0.05 for x in ds)} "
                  f"({100.0 * sum(x <= 0.05 for x in ds) / len(ds):.1f} %); within 0.1: "
                  f"{sum(x <= 0.1 for x in ds)}; max |delta| {max(ds):.4f}")
    n = len(rows)
    within05 = sum(abs(r[4]) <= 0.05 for r in rows)
    within01 = sum(abs(r[4]) <= 0.01 for r in rows)
    worst = max((abs(r[4]) for r in rows), default=0.0)
    print(f"\n{n} comparisons scored by both; within 0.01: {within01}; within 0.05: {within05} "
          f"({100.0 * within05 / max(n, 1):.1f} %); max |delta| {worst:.4f}; "
          f"refused by both: {len(both_refuse)}; refused by one only: {len(one_refuses)}; "
          f"farend failures: {len(faults)}; farend warnings on {warned} pairs")
    print(timing)
    target = n >= 200 and within05 >= 0.995 * n and worst <= 0.1 and not one_refuses and not faults
    print("target gate: " + ("met" if target else "NOT met") + " (>= 200 pairs, >= 99.5 % within "
          "0.05, all within 0.1, no pair refused by one side only, no farend failure)")
    regressions = regression_failures(rows)
    for line in regressions:
        print(f"regression: {line}")
    ok = n >= 200 and not one_refuses and not faults and not regressions
    if args.gate == "target":
        ok = ok and target
    print("PASS" if ok else "FAIL", f"({args.gate} gate)")
    sys.exit(0 if ok else 1)


# Regression bounds per group at today's agreement with the oracle (mean |delta| and max
# |delta| in MOS-LQO, measured on this corpus: nb8 0.062 / 1.02, nb16 0.062 / 1.13,
# wb 0.076 / 0.88, wb2005 0.084 / 0.76), with a small margin. They keep any change from
# making the scorer worse unnoticed; tighten them as it improves. `--gate target` applies
# the gate the scorer is meant to meet instead. The maxima: wb00/amrdrop3-in-wb (nb16;
# 20 ms frames dropped after AMR-NB: farend follows every drop as a delay step and scores
# 3.64, the oracle 2.51, stable when the end is cut off), wb02/amrdrop3-in-wb (wb; the
# oracle 2.61, farend 3.49: where a split's boundary lands among the dropped frames moves
# single pairs of this condition by up to 0.4 either way) and nb19/pausejump+450 (oracle
# 2.31 for speech untouched but for a silence in a pause; farend 3.33).
REGRESSION_BOUNDS = {
    "nb8": (0.07, 1.05),
    "nb16": (0.07, 1.16),
    "wb": (0.08, 0.95),
    "wb2005": (0.095, 0.80),
}


def regression_failures(rows):
    """Groups whose mean or max |delta| exceeds its regression bound, as messages."""
    out = []
    for group, (mean_bound, max_bound) in REGRESSION_BOUNDS.items():
        ds = [abs(r[4]) for r in rows if r[0] == group]
        if not ds:
            out.append(f"{group}: no pair scored by both")
            continue
        mean = sum(ds) / len(ds)
        if mean > mean_bound:
            out.append(f"{group}: mean |delta| {mean:.4f} exceeds {mean_bound}")
        if max(ds) > max_bound:
            out.append(f"{group}: max |delta| {max(ds):.4f} exceeds {max_bound}")
    return out


if __name__ == "__main__":
    main()
