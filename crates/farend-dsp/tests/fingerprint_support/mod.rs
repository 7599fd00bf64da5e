//! Speech material through real telephony degradations, for the fingerprint and verdict
//! tests: Debian's Asterisk prompts and codec2 samples, white noise from sox at 10 dB SNR
//! (relative to the P.56 active level), AMR-NB 4.75 kbit/s by sox, frame loss as NO_DATA
//! frames in the AMR bitstream (so the real decoder conceals them), level changes.
//!
//! The material is built once per test binary in a temporary folder.

#![allow(dead_code)]

use farend_dsp::fingerprint::Index;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Sample rate of all material.
pub const RATE: u32 = 8000;
#[path = "../asterisk/mod.rs"]
pub mod asterisk;
pub use asterisk::asterisk_dir;
const CODEC2: &str = "/usr/share/codec2/raw";
/// codec2 files that are speech (the others are tones and modem data).
const CODEC2_SPEECH: &[&str] = &[
    "big_dog", "cq_ref", "cross", "forig", "g3plx", "hts", "hts1", "hts2", "kristoff", "mmt1",
    "morig", "ve9qrp", "vk5qi",
];

/// Deterministic pseudo-random numbers (SplitMix64).
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in 0..1.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// Whether the external tools are there: `Ok` to go on, `Err(reason)` to skip.
/// Panics when they are missing and env `CI` is set.
pub fn tools_or_skip() -> Result<(), String> {
    let sox_amr = Command::new("sox")
        .arg("-h")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("amr-nb"))
        .unwrap_or(false);
    let problem = if !sox_amr {
        Some("sox with AMR-NB support is not installed".to_string())
    } else if !Path::new(&asterisk_dir()).join("digits").is_dir() {
        Some(format!(
            "{} (asterisk-core-sounds-en-wav) is not installed",
            asterisk_dir()
        ))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) if std::env::var_os("CI").is_some() => panic!("{p} (required in CI)"),
        Some(p) => Err(p),
    }
}

/// A continuous stream of references laid end to end.
pub struct Stream {
    /// Reference names and their [start, end) sample ranges in the stream.
    pub parts: Vec<(String, usize, usize)>,
    /// The clean samples.
    pub clean: Vec<i16>,
}

/// All material of one test run.
pub struct Material {
    /// The indexed references, end to end.
    pub indexed: Stream,
    /// Speech that is not in the index, end to end.
    pub unindexed: Stream,
    /// Index of the indexed references.
    pub index: Index,
    /// Indexed stream + noise, AMR-NB 4.75, no loss.
    pub idx_amr: Vec<i16>,
    /// Indexed stream + noise, AMR-NB 4.75, 3 % random frame loss.
    pub idx_loss3: Vec<i16>,
    /// Indexed stream + noise, AMR-NB 4.75, 10 % bursty frame loss.
    pub idx_burst10: Vec<i16>,
    /// Unindexed stream + noise, AMR-NB 4.75, 3 % random frame loss.
    pub unidx_loss3: Vec<i16>,
    /// The codec's delay (decoded output later than its input), in samples.
    pub codec_delay: i64,
    /// Where the material lives.
    pub dir: PathBuf,
}

fn read_wav(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(r.spec().sample_rate, RATE, "{}", path.display());
    r.samples::<i16>().map(|s| s.unwrap()).collect()
}

fn write_wav(path: &Path, x: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in x {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

fn sox(args: &[&str]) {
    let out = Command::new("sox").args(args).output().expect("run sox");
    assert!(
        out.status.success(),
        "sox {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wavs_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut items: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    items.sort();
    for p in items {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "silence") {
                wavs_under(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "wav") {
            out.push(p);
        }
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Splits the speech library into indexed references (prompts concatenated to ≥ 6 s) and
/// unindexed speech.
pub fn library() -> (Stream, Stream) {
    let mut files = Vec::new();
    wavs_under(Path::new(&asterisk_dir()), &mut files);
    let mut indexed = Stream {
        parts: Vec::new(),
        clean: Vec::new(),
    };
    let mut unindexed = Stream {
        parts: Vec::new(),
        clean: Vec::new(),
    };
    let mut pending: Vec<i16> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(asterisk_dir())
            .unwrap()
            .to_string_lossy()
            .replace(".wav", "");
        let x = read_wav(f);
        if x.len() < RATE as usize / 5 {
            continue;
        }
        if fnv(&rel).is_multiple_of(2) {
            pending.extend_from_slice(&x);
            names.push(rel);
            if pending.len() >= 6 * RATE as usize {
                let name = format!(
                    "ref{:03}-{}",
                    indexed.parts.len(),
                    names[0].replace('/', "_")
                );
                let start = indexed.clean.len();
                indexed.clean.append(&mut pending);
                indexed.parts.push((name, start, indexed.clean.len()));
                names.clear();
            }
        } else {
            let start = unindexed.clean.len();
            unindexed.clean.extend_from_slice(&x);
            unindexed.parts.push((rel, start, unindexed.clean.len()));
        }
    }
    for name in CODEC2_SPEECH {
        let Ok(bytes) = std::fs::read(Path::new(CODEC2).join(format!("{name}.raw"))) else {
            continue;
        };
        let start = unindexed.clean.len();
        unindexed.clean.extend(
            bytes
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        );
        unindexed
            .parts
            .push((format!("codec2/{name}"), start, unindexed.clean.len()));
    }
    (indexed, unindexed)
}

/// Converts to −1..1 floats.
pub fn to_f32(x: &[i16]) -> Vec<f32> {
    x.iter().map(|&s| f32::from(s) / 32768.0).collect()
}

/// Adds sox white noise at `snr_db` below each part's P.56 active speech level.
fn add_noise(stream: &Stream, dir: &Path, tag: &str, snr_db: f64) -> Vec<i16> {
    let secs = stream.clean.len() as f64 / f64::from(RATE) + 1.0;
    let noise_path = dir.join(format!("{tag}-noise.wav"));
    sox(&[
        "-R",
        "-n",
        "-r",
        "8000",
        "-c",
        "1",
        "-b",
        "16",
        noise_path.to_str().unwrap(),
        "synth",
        &format!("{secs:.2}"),
        "whitenoise",
        "vol",
        "0.5",
    ]);
    let noise = to_f32(&read_wav(&noise_path));
    let noise_rms =
        (noise.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / noise.len() as f64).sqrt();
    let mut out = stream.clean.clone();
    for (_, a, b) in &stream.parts {
        let part = to_f32(&stream.clean[*a..*b]);
        let Some(level) = farend_dsp::level::active_level_dbov(&part, RATE) else {
            continue;
        };
        let want_rms = 10f64.powf((level.level_dbov - snr_db) / 20.0);
        let g = want_rms / noise_rms;
        for (i, s) in out[*a..*b].iter_mut().enumerate() {
            let v = f64::from(*s) + g * f64::from(noise[*a + i]) * 32768.0;
            *s = v.round().clamp(-32768.0, 32767.0) as i16;
        }
    }
    out
}

/// AMR-NB frame payload sizes (bytes after the one-byte header) by frame type.
fn amr_payload(ft: u8) -> Option<usize> {
    match ft {
        0 => Some(12),
        1 => Some(13),
        2 => Some(15),
        3 => Some(17),
        4 => Some(19),
        5 => Some(20),
        6 => Some(26),
        7 => Some(31),
        8 => Some(5),
        15 => Some(0),
        _ => None,
    }
}

/// Replaces the frames where `lost(n)` with NO_DATA frames, which the decoder conceals.
fn drop_frames(amr: &[u8], mut lost: impl FnMut(usize) -> bool) -> (Vec<u8>, usize, usize) {
    let mut out = amr[..6].to_vec();
    let (mut pos, mut n, mut dropped) = (6, 0, 0);
    while pos < amr.len() {
        let ft = (amr[pos] >> 3) & 0x0f;
        let size = 1 + amr_payload(ft).expect("AMR frame type");
        if lost(n) {
            out.push(0x7c);
            dropped += 1;
        } else {
            out.extend_from_slice(&amr[pos..pos + size]);
        }
        pos += size;
        n += 1;
    }
    (out, n, dropped)
}

/// Noise, AMR-NB 4.75 encoding, then decodes with the given loss patterns.
fn degrade(stream: &Stream, dir: &Path, tag: &str, losses: &[&str], seed: u64) -> Vec<Vec<i16>> {
    let noisy = add_noise(stream, dir, tag, 10.0);
    let wav = dir.join(format!("{tag}-noisy.wav"));
    write_wav(&wav, &noisy);
    let amr = dir.join(format!("{tag}.amr-nb"));
    sox(&[wav.to_str().unwrap(), "-C", "0", amr.to_str().unwrap()]);
    let bytes = std::fs::read(&amr).unwrap();
    assert!(bytes.starts_with(b"#!AMR\n"));
    let mut rng = Rng(seed);
    losses
        .iter()
        .map(|&loss| {
            let mut bad = false;
            let (lossy, total, dropped) = drop_frames(&bytes, |_| match loss {
                "none" => false,
                "random3" => rng.unit() < 0.03,
                // Gilbert model: mean burst 3 frames, 10 % of frames lost.
                _ => {
                    bad = if bad {
                        rng.unit() >= 1.0 / 3.0
                    } else {
                        rng.unit() < 0.1 / 0.9 / 3.0
                    };
                    bad
                }
            });
            eprintln!("{tag}/{loss}: {dropped} of {total} AMR frames lost");
            let lossy_path = dir.join(format!("{tag}-{loss}.amr-nb"));
            std::fs::write(&lossy_path, lossy).unwrap();
            let out = dir.join(format!("{tag}-{loss}.wav"));
            sox(&[lossy_path.to_str().unwrap(), out.to_str().unwrap()]);
            read_wav(&out)
        })
        .collect()
}

fn build() -> Material {
    let t0 = std::time::Instant::now();
    let dir = std::env::temp_dir().join(format!("farend-fp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (indexed, unindexed) = library();
    let mut index = Index::new();
    for (name, a, b) in &indexed.parts {
        index
            .add(name, &to_f32(&indexed.clean[*a..*b]), RATE)
            .unwrap();
    }
    eprintln!("library and index: {:?}", t0.elapsed());
    // The two streams are independent: degrade them side by side.
    let (mut idx, mut unidx) = match std::env::var_os("FAREND_FP_CACHE") {
        Some(cache) => cached(Path::new(&cache), &indexed, &unindexed, &dir),
        None => std::thread::scope(|s| {
            let unidx = s.spawn(|| degrade(&unindexed, &dir, "unidx", &["random3"], 2));
            let idx = degrade(&indexed, &dir, "idx", &["none", "random3", "bursty10"], 1);
            (idx, unidx.join().unwrap())
        }),
    };
    eprintln!("degraded: {:?}", t0.elapsed());
    // The codec's own delay, measured on a loss-free decode.
    let span = 30 * RATE as usize..60 * RATE as usize;
    let est = farend_dsp::delay::estimate_delay(
        &to_f32(&indexed.clean[span.clone()]),
        &to_f32(&idx[0][span]),
        RATE,
        0.1,
    )
    .expect("codec delay");
    eprintln!(
        "material: {} indexed references ({:.0} s), {:.0} s unindexed speech, codec delay {} samples, in {}",
        indexed.parts.len(),
        indexed.clean.len() as f64 / f64::from(RATE),
        unindexed.clean.len() as f64 / f64::from(RATE),
        est.samples,
        dir.display()
    );
    // Everything is in memory now.
    let _ = std::fs::remove_dir_all(&dir);
    let idx_burst10 = idx.pop().unwrap();
    let idx_loss3 = idx.pop().unwrap();
    let idx_amr = idx.pop().unwrap();
    Material {
        indexed,
        unindexed,
        index,
        idx_amr,
        idx_loss3,
        idx_burst10,
        unidx_loss3: unidx.pop().unwrap(),
        codec_delay: est.samples,
        dir,
    }
}

/// Development aid: keeps the degraded streams in `cache` between runs.
fn cached(
    cache: &Path,
    indexed: &Stream,
    unindexed: &Stream,
    dir: &Path,
) -> (Vec<Vec<i16>>, Vec<Vec<i16>>) {
    let names = ["idx-none", "idx-random3", "idx-bursty10", "unidx-random3"];
    if !names
        .iter()
        .all(|n| cache.join(format!("{n}.wav")).exists())
    {
        std::fs::create_dir_all(cache).unwrap();
        let unidx = degrade(unindexed, dir, "unidx", &["random3"], 2);
        let idx = degrade(indexed, dir, "idx", &["none", "random3", "bursty10"], 1);
        for (n, x) in names.iter().zip(idx.iter().chain(&unidx)) {
            write_wav(&cache.join(format!("{n}.wav")), x);
        }
    }
    let mut all: Vec<Vec<i16>> = names
        .iter()
        .map(|n| read_wav(&cache.join(format!("{n}.wav"))))
        .collect();
    let unidx = vec![all.pop().unwrap()];
    (all, unidx)
}

static MATERIAL: OnceLock<Material> = OnceLock::new();

/// The material, built on first use.
pub fn material() -> &'static Material {
    MATERIAL.get_or_init(build)
}

/// Applies a gain in dB with saturation, as a level change on the path does.
pub fn gain(x: &[i16], db: f64) -> Vec<f32> {
    let g = 10f64.powf(db / 20.0);
    x.iter()
        .map(|&s| ((f64::from(s) * g).clamp(-32768.0, 32767.0) / 32768.0) as f32)
        .collect()
}

/// One clip through AMR-NB 4.75 kbit/s with `loss` random frame loss (0..1).
pub fn amr475(x: &[i16], loss: f64, seed: u64, tag: &str) -> Vec<i16> {
    let dir = std::env::temp_dir().join(format!("farend-fp-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("in.wav");
    write_wav(&wav, x);
    let amr = dir.join("in.amr-nb");
    sox(&[wav.to_str().unwrap(), "-C", "0", amr.to_str().unwrap()]);
    let bytes = std::fs::read(&amr).unwrap();
    let mut rng = Rng(seed);
    let (lossy, _, _) = drop_frames(&bytes, |_| rng.unit() < loss);
    let lossy_path = dir.join("lossy.amr-nb");
    std::fs::write(&lossy_path, lossy).unwrap();
    let out = dir.join("out.wav");
    sox(&[lossy_path.to_str().unwrap(), out.to_str().unwrap()]);
    let y = read_wav(&out);
    let _ = std::fs::remove_dir_all(&dir);
    y
}

/// White noise (deterministic) at `snr_db` below the P.56 active level of `x`.
pub fn with_noise(x: &[i16], snr_db: f64, seed: u64) -> Vec<i16> {
    let level = farend_dsp::level::active_level_dbov(&to_f32(x), RATE)
        .expect("speech")
        .level_dbov;
    let rms = 10f64.powf((level - snr_db) / 20.0) * 32768.0;
    let mut rng = Rng(seed);
    x.iter()
        .map(|&s| {
            // Sum of uniforms: near-Gaussian, unit variance.
            let g: f64 = (0..12).map(|_| rng.unit()).sum::<f64>() - 6.0;
            (f64::from(s) + g * rms).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}
