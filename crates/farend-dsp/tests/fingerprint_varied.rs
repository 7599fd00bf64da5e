//! Identification on varied material: several talkers of both sexes and four languages
//! (Debian's Asterisk prompts in French, Italian, Russian and Spanish), references built
//! from runs of short prompts with pauses as well as continuous speech (codec2's samples,
//! noisy HF-radio recordings among them), through AMR-NB 4.75 kbit/s with frame
//! loss or Opus, with white noise added before the codec (at the talker) or after it (on
//! the line), and ±10 dB level changes. Speech of other talkers and languages (and the
//! P.862 conformance references when `FAREND_REFS` points at the shared material) is never
//! indexed: any match on it is false.

mod fingerprint_support;

use farend_dsp::fingerprint::{Identification, Index, identify};
use fingerprint_support::{
    RATE, Rng, amr475, asterisk::language_dir, gain, to_f32, tools_or_skip, with_noise,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const QUERY_S: f64 = 3.0;
/// References are built to at least this length.
const REF_S: f64 = 12.0;
const CODEC2: &str = "/usr/share/codec2/raw";

/// One reference: its name and clean samples.
struct Reference {
    name: String,
    clean: Vec<i16>,
}

fn read_wav(path: &Path) -> Option<Vec<i16>> {
    let mut r = hound::WavReader::open(path).ok()?;
    if r.spec().sample_rate != RATE || r.spec().channels != 1 {
        return None;
    }
    r.samples::<i16>().collect::<Result<_, _>>().ok()
}

fn read_raw(path: &Path) -> Option<Vec<i16>> {
    let bytes = std::fs::read(path).ok()?;
    Some(
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect(),
    )
}

fn wavs_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            wavs_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "wav") {
            out.push(p);
        }
    }
}

/// The prompts of one Asterisk language folder, longer than 0.4 s. Panics when the language
/// is not installed: the test would otherwise run on less material than it claims.
fn prompts(language: &str) -> Vec<Vec<i16>> {
    let dir = language_dir(language).unwrap_or_else(|| {
        panic!(
            "asterisk-core-sounds-{language}-wav is not installed (scripts/setup.sh installs it)"
        )
    });
    let mut files = Vec::new();
    wavs_under(&dir, &mut files);
    files
        .iter()
        // Beeps, two-tone signals and the monkeys are the same audio in every language: a
        // query holding one of them really does carry audio of another language's reference.
        .filter(|f| {
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            !["beep", "tone", "monkeys"].iter().any(|w| stem.contains(w))
        })
        .filter_map(|f| read_wav(f))
        .filter(|x| x.len() > RATE as usize * 2 / 5)
        .collect()
}

/// References made of runs of prompts (in a shuffled order) with 0.3–0.8 s pauses between
/// them, each at least `REF_S` long.
fn prompt_runs(language: &str, count: usize, seed: u64) -> Vec<Reference> {
    let mut all = prompts(language);
    let mut rng = Rng(seed);
    for i in (1..all.len()).rev() {
        all.swap(i, rng.below(i + 1));
    }
    let mut out = Vec::new();
    let mut run: Vec<i16> = Vec::new();
    for p in all {
        if out.len() == count {
            break;
        }
        run.extend_from_slice(&p);
        let pause = RATE as usize * (300 + rng.below(500)) / 1000;
        run.extend(std::iter::repeat_n(0i16, pause));
        if run.len() as f64 >= REF_S * f64::from(RATE) {
            out.push(Reference {
                name: format!("{language}/run{:02}", out.len()),
                clean: std::mem::take(&mut run),
            });
        }
    }
    out
}

/// Continuous speech cut into `REF_S` pieces (a shorter recording is one piece).
fn continuous(name: &str, x: &[i16]) -> Vec<Reference> {
    let len = (REF_S * f64::from(RATE)) as usize;
    if x.len() < len {
        return vec![Reference {
            name: name.to_string(),
            clean: x.to_vec(),
        }];
    }
    x.chunks_exact(len)
        .enumerate()
        .map(|(i, c)| Reference {
            name: format!("{name}-{i}"),
            clean: c.to_vec(),
        })
        .collect()
}

fn codec2(name: &str) -> Vec<Reference> {
    let x = read_raw(&Path::new(CODEC2).join(format!("{name}.raw")))
        .unwrap_or_else(|| panic!("{CODEC2}/{name}.raw is missing (codec2-examples)"));
    continuous(&format!("codec2/{name}"), &x)
}

/// The P.862 conformance references (other talkers and languages, continuous speech), when
/// the shared material is there.
fn p862_references() -> Vec<Reference> {
    let Some(root) = std::env::var_os("FAREND_REFS") else {
        return Vec::new();
    };
    let dir = Path::new(&root).join("p862-conformance/8k");
    let mut files = Vec::new();
    wavs_under(&dir, &mut files);
    files
        .iter()
        .filter(|f| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("or"))
        })
        .filter_map(|f| {
            Some(Reference {
                name: format!("p862/{}", f.file_stem()?.to_string_lossy()),
                clean: read_wav(f)?,
            })
        })
        .collect()
}

/// How a query travels from the talker to the recording.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Path2 {
    /// Noise at the talker, then AMR-NB 4.75 with 3 % frame loss.
    NoiseThenAmr,
    /// AMR-NB 4.75 with 3 % frame loss, then noise on the line.
    AmrThenNoise,
    /// Noise at the talker, then Opus at 8 kbit/s.
    NoiseThenOpus,
}

const PATHS: [Path2; 3] = [
    Path2::NoiseThenAmr,
    Path2::AmrThenNoise,
    Path2::NoiseThenOpus,
];

fn opus8(x: &[i16], tag: &str) -> Option<Vec<i16>> {
    let dir = std::env::temp_dir().join(format!("farend-fpv-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let (wav, opus, out) = (dir.join("in.wav"), dir.join("x.opus"), dir.join("out.wav"));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).ok()?;
    for &s in x {
        w.write_sample(s).ok()?;
    }
    w.finalize().ok()?;
    let ok = Command::new("opusenc")
        .args(["--quiet", "--bitrate", "8", "--speech"])
        .args([&wav, &opus])
        .status()
        .ok()?
        .success()
        && Command::new("opusdec")
            .args(["--quiet", "--rate", "8000"])
            .args([&opus, &out])
            .status()
            .ok()?
            .success();
    let y = if ok { read_wav(&out) } else { None };
    let _ = std::fs::remove_dir_all(&dir);
    y
}

/// `x` through `path`, with white noise 10 dB below its active level.
fn degrade(x: &[i16], path: Path2, seed: u64) -> Option<Vec<i16>> {
    let tag = format!("{seed}");
    Some(match path {
        Path2::NoiseThenAmr => amr475(&with_noise(x, 10.0, seed), 0.03, seed, &tag),
        Path2::AmrThenNoise => with_noise(&amr475(x, 0.03, seed, &tag), 10.0, seed),
        Path2::NoiseThenOpus => opus8(&with_noise(x, 10.0, seed), &tag)?,
    })
}

/// The material: the index, its references, and unindexed speech.
struct Material {
    indexed: Vec<Reference>,
    unindexed: Vec<Reference>,
    index: Index,
}

fn build() -> Material {
    let mut indexed = Vec::new();
    indexed.extend(prompt_runs("fr", 6, 1));
    indexed.extend(prompt_runs("it", 6, 2));
    // (hts1 and hts2 are pieces of hts: one copy of the audio only.)
    for name in ["hts", "vk5qi", "ve9qrp"] {
        indexed.extend(codec2(name));
    }
    // The P.862 references share speech between files (or129 and or137 are one recording),
    // so they serve as unindexed talkers only.
    let mut unindexed = p862_references();
    unindexed.extend(prompt_runs("ru", 6, 3));
    unindexed.extend(prompt_runs("es", 4, 4));
    for name in ["cq_ref", "g3plx", "kristoff", "mmt1", "cross"] {
        unindexed.extend(codec2(name));
    }
    let mut index = Index::new();
    for r in &indexed {
        index.add(&r.name, &to_f32(&r.clean), RATE).unwrap();
    }
    Material {
        indexed,
        unindexed,
        index,
    }
}

fn material() -> &'static Material {
    static M: OnceLock<Material> = OnceLock::new();
    M.get_or_init(build)
}

fn query_len() -> usize {
    (QUERY_S * f64::from(RATE)) as usize
}

/// A random cut of a random reference that holds enough of it.
fn cut<'a>(refs: &'a [Reference], rng: &mut Rng) -> (&'a Reference, usize) {
    loop {
        let r = &refs[rng.below(refs.len())];
        if r.clean.len() > query_len() + RATE as usize / 10 {
            return (r, rng.below(r.clean.len() - query_len()));
        }
    }
}

fn report(id: &Identification) -> String {
    format!(
        "ber {:.3} margin {:.1}σ matched {:.0} % activity {:?} nearest {:?}: {:?}",
        id.ber,
        id.margin_sigmas,
        id.matched_fraction * 100.0,
        id.activity,
        id.nearest,
        id.reason
    )
}

/// Identifies `n` degraded queries through `path`: (identified within ±20 ms, wrong).
fn indexed_queries(path: Path2, n: usize, seed: u64, spoil: bool) -> (usize, usize) {
    let m = material();
    let mut rng = Rng(seed);
    let (mut found, mut wrong) = (0, 0);
    for q in 0..n {
        let (r, start) = cut(&m.indexed, &mut rng);
        let clean = &r.clean[start..start + query_len()];
        let Some(mut y) = degrade(clean, path, seed * 1000 + q as u64) else {
            panic!("{path:?} failed");
        };
        if spoil {
            spoil_a_third(&mut y, &mut rng);
        }
        let db = if rng.unit() < 0.5 { -10.0 } else { 10.0 };
        let id = identify(&m.index, &gain(&y, db), RATE);
        let truth_ms = start as f64 * 1000.0 / f64::from(RATE);
        match (&id.matched, id.offset_ms) {
            (Some(got), Some(ms)) if *got == r.name && (ms - truth_ms).abs() <= 20.0 => found += 1,
            (Some(got), ms) if *got == r.name => {
                eprintln!("{path:?} {} at {truth_ms:.0} ms: offset {ms:?}", r.name)
            }
            (Some(got), _) => {
                wrong += 1;
                eprintln!("{path:?} {} WRONG {got}: {}", r.name, report(&id));
            }
            _ => eprintln!(
                "{path:?} {} at {truth_ms:.0} missed: {}",
                r.name,
                report(&id)
            ),
        }
    }
    eprintln!("{path:?}: {found} of {n} identified, {wrong} wrong (spoiled: {spoil})");
    (found, wrong)
}

/// Destroys a random third of the query: either silence (a mute) or loud noise (a burst).
fn spoil_a_third(y: &mut [i16], rng: &mut Rng) {
    let third = y.len() / 3;
    let start = rng.below(y.len() - third);
    let mute = rng.unit() < 0.5;
    for s in &mut y[start..start + third] {
        *s = if mute {
            0
        } else {
            ((rng.unit() - 0.5) * 12000.0) as i16
        };
    }
}

/// Identifies `n` queries through each path; at least `percent[i]` % through `PATHS[i]`.
fn each_path_identifies(n: usize, seed: u64, spoil: bool, percent: [usize; 3]) {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let results: Vec<(Path2, usize, usize)> = PATHS
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            let (found, wrong) = indexed_queries(path, n, seed + i as u64, spoil);
            (path, found, wrong)
        })
        .collect();
    for ((path, found, wrong), percent) in results.into_iter().zip(percent) {
        assert_eq!(
            wrong, 0,
            "{path:?}: queries identified as another reference"
        );
        assert!(
            found * 100 >= n * percent,
            "{path:?}: {found} of {n} identified"
        );
    }
}

#[test]
fn prompts_and_continuous_speech_through_amr_and_opus_with_noise_before_or_after() {
    // Noisy HF-radio references through noise after the codec are the hardest case.
    each_path_identifies(80, 21, false, [95, 95, 95]);
}

#[test]
fn a_query_with_a_third_muted_or_destroyed_is_still_found() {
    each_path_identifies(40, 31, true, [65, 50, 65]);
}

#[test]
fn other_talkers_and_languages_never_match() {
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let m = material();
    let mut rng = Rng(41);
    let mut false_matches = Vec::new();
    let mut closest: f64 = 0.0;
    for q in 0..120 {
        let (r, start) = cut(&m.unindexed, &mut rng);
        let path = PATHS[q % PATHS.len()];
        let clean = &r.clean[start..start + query_len()];
        let y = degrade(clean, path, 5000 + q as u64).expect("codec");
        let db = rng.unit() * 20.0 - 10.0;
        let id = identify(&m.index, &gain(&y, db), RATE);
        closest = closest.max(id.margin_sigmas);
        if id.matched.is_some() {
            false_matches.push(format!("{} ({path:?}): {}", r.name, report(&id)));
        }
    }
    eprintln!("unindexed: largest margin {closest:.1}σ");
    assert!(
        false_matches.is_empty(),
        "false matches: {false_matches:#?}"
    );
}

/// Every prompt of one Asterisk language folder, at least `min_s` long, with its file stem.
fn named_prompts(language: &str, min_s: f64) -> Vec<(String, Vec<i16>)> {
    let dir = language_dir(language)
        .unwrap_or_else(|| panic!("asterisk-core-sounds-{language}-wav is not installed"));
    let mut files = Vec::new();
    wavs_under(&dir, &mut files);
    files
        .iter()
        .filter_map(|f| {
            let x = read_wav(f)?;
            let stem = f.file_stem()?.to_str()?.to_string();
            (x.len() as f64 >= min_s * f64::from(RATE)).then_some((stem, x))
        })
        .collect()
}

#[test]
fn a_library_of_short_prompts_never_names_another_languages_prompt() {
    // Hundreds of 1.5–3 s prompts make hundreds of thousands of chance alignments for a
    // short query: the best of them reaches a low bit error rate by chance alone, and only
    // how far it stands out from the next tells a match from a coincidence.
    if let Err(reason) = tools_or_skip() {
        eprintln!("skipped: {reason}");
        return;
    }
    let mut index = Index::new();
    for (name, x) in named_prompts("fr", 0.0) {
        // Prompts of the same name in subfolders hold other audio; the first is enough here.
        let _ = index.add(&name, &to_f32(&x), RATE);
    }
    let mut false_matches = Vec::new();
    let mut queries = 0;
    for (name, x) in named_prompts("ru", 1.5) {
        // The monkeys are the same recording in every language.
        if name.contains("monkeys") {
            continue;
        }
        queries += 1;
        let id = identify(&index, &to_f32(&x), RATE);
        if let Some(got) = &id.matched {
            false_matches.push(format!("ru {name} -> fr {got}: {}", report(&id)));
        }
    }
    eprintln!(
        "{queries} Russian prompts against {} French ones",
        index.len()
    );
    assert!(queries > 100, "only {queries} prompts of 1.5 s or more");
    assert!(
        false_matches.is_empty(),
        "false matches: {false_matches:#?}"
    );
}
