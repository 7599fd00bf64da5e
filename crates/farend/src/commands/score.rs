//! `farend score`: full-reference speech quality (ITU-T P.862 / P.862.1 / P.862.2).
//!
//! One pair: `farend score REF.wav DEG.wav [--band nb|wb] [--json]`.
//!
//! Many pairs, scored in parallel:
//! - `farend score --dir DIR`: every `NAME.ref.wav` in DIR is paired with each
//!   `NAME.deg*.wav` beside it (for example `call1.ref.wav` with `call1.deg.wav`,
//!   `call1.deg.amr.wav` and `call1.deg2.wav`); `.wav` files left without a partner
//!   are named in a warning;
//! - `farend score --list pairs.csv`: one `reference,degraded` pair per line
//!   (paths relative to the CSV file; a first line `reference,degraded` is a header).

use super::{CliError, Outcome};
use clap::{Args, ValueEnum};
use farend_quality::{Band, QualityError, Score, ScoreOptions, WidebandVersion};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Narrowband or wideband scoring.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BandArg {
    /// P.862 + P.862.1 (handset, 8 or 16 kHz).
    Nb,
    /// P.862.2 (headphones, 16 kHz).
    Wb,
}

/// Edition of P.862.2 used for wideband.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WbVersionArg {
    /// P.862.2 with Corrigendum 2 (2018), the default.
    Cor2,
    /// P.862.2 as published in 2005.
    #[value(name = "2005")]
    V2005,
}

/// Arguments of `farend score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Reference WAV (what was sent).
    reference: Option<PathBuf>,
    /// Degraded WAV (what was received).
    degraded: Option<PathBuf>,
    /// Narrowband (P.862.1) or wideband (P.862.2).
    #[arg(long, value_enum, default_value = "nb")]
    band: BandArg,
    /// Wideband edition: Corrigendum 2 (2018) or the 2005 behaviour.
    #[arg(long, value_enum, default_value = "cor2")]
    wb_version: WbVersionArg,
    /// Print JSON (one object for a pair, one array for --dir/--list).
    #[arg(long)]
    json: bool,
    /// With --json, also include the per-frame disturbance.
    #[arg(long)]
    frames: bool,
    /// Length of the score-track windows in seconds.
    #[arg(long, default_value_t = 4.0)]
    track_window: f64,
    /// Score every `NAME.ref.wav` / `NAME.deg*.wav` pair found in this directory.
    #[arg(long, conflicts_with_all = ["reference", "degraded", "list"])]
    dir: Option<PathBuf>,
    /// Score the `reference,degraded` pairs listed in this CSV file.
    #[arg(long, conflicts_with_all = ["reference", "degraded"])]
    list: Option<PathBuf>,
    /// Parallel workers for --dir/--list (default: available cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Exit with code 1 when any MOS-LQO is below this value.
    #[arg(long)]
    min_mos: Option<f64>,
}

fn read(path: &Path) -> Result<farend_audio::Pcm, CliError> {
    farend_audio::read_wav(path).map_err(|e| CliError::BadInput(e.to_string()))
}

fn score_pair(reference: &Path, degraded: &Path, opts: &ScoreOptions) -> Result<Score, CliError> {
    let r = read(reference)?;
    let d = read(degraded)?;
    farend_quality::score_i16_rates(&r.samples, r.rate, &d.samples, d.rate, opts)
        .map_err(|e: QualityError| CliError::BadInput(format!("{}: {e}", degraded.display())))
}

fn to_json(score: &Score, frames: bool) -> serde_json::Value {
    let mut v = serde_json::to_value(score).unwrap_or(serde_json::Value::Null);
    if !frames && let Some(obj) = v.as_object_mut() {
        obj.remove("frames");
    }
    v
}

fn options(args: &ScoreArgs) -> Result<ScoreOptions, CliError> {
    if !(args.track_window.is_finite() && args.track_window >= 0.0) {
        return Err(CliError::BadInput(
            "--track-window must be a non-negative number of seconds".into(),
        ));
    }
    let mut opts = ScoreOptions::new(match args.band {
        BandArg::Nb => Band::Narrow,
        BandArg::Wb => Band::Wide,
    });
    opts.wideband_version = match args.wb_version {
        WbVersionArg::Cor2 => WidebandVersion::P862_2Cor2_2018,
        WbVersionArg::V2005 => WidebandVersion::P862_2_2005,
    };
    opts.track_window_s = args.track_window;
    Ok(opts)
}

/// What the `NAME.ref.wav` / `NAME.deg*.wav` rule made of a directory's file names.
#[derive(Debug, Default, PartialEq, Eq)]
struct DirPairing {
    /// `(reference, degraded)` file names, sorted.
    pairs: Vec<(String, String)>,
    /// `.wav` files the rule left without a partner, with the reason.
    unpaired: Vec<(String, &'static str)>,
}

/// Pairs each `NAME.ref.wav` with every `NAME.deg*.wav` (`NAME.deg.wav`, `NAME.deg.amr.wav`,
/// `NAME.deg-x.wav`, `NAME.deg2.wav`, ...) and lists the `.wav` files left over.
fn pair_names(names: &[String]) -> DirPairing {
    let mut names: Vec<&String> = names.iter().filter(|n| n.ends_with(".wav")).collect();
    names.sort();
    let degraded_of = |name: &str, stem: &str| {
        !name.ends_with(".ref.wav")
            && name
                .strip_prefix(stem)
                .is_some_and(|rest| rest.starts_with(".deg"))
    };
    let mut out = DirPairing::default();
    let mut used = vec![false; names.len()];
    for (i, name) in names.iter().enumerate() {
        let Some(stem) = name.strip_suffix(".ref.wav") else {
            continue;
        };
        used[i] = true;
        let before = out.pairs.len();
        for (j, other) in names.iter().enumerate() {
            if degraded_of(other, stem) {
                used[j] = true;
                out.pairs.push(((*name).clone(), (*other).clone()));
            }
        }
        if out.pairs.len() == before {
            out.unpaired
                .push(((*name).clone(), "no NAME.deg*.wav beside this reference"));
        }
    }
    for (i, name) in names.iter().enumerate() {
        if used[i] {
            continue;
        }
        let why = if name.contains(".deg") {
            "no NAME.ref.wav for this degraded file"
        } else {
            "neither NAME.ref.wav nor NAME.deg*.wav"
        };
        out.unpaired.push(((*name).clone(), why));
    }
    out
}

/// Pairs found in a directory by the `NAME.ref.wav` / `NAME.deg*.wav` rule; warns on
/// stderr about every `.wav` left without a partner.
fn pairs_in_dir(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, CliError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::BadInput(format!("{}: {e}", dir.display())))?;
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let pairing = pair_names(&names);
    for (name, why) in &pairing.unpaired {
        eprintln!("warning: {}: not scored: {why}", dir.join(name).display());
    }
    if pairing.pairs.is_empty() {
        return Err(CliError::BadInput(format!(
            "{}: no NAME.ref.wav with a NAME.deg*.wav beside it",
            dir.display()
        )));
    }
    Ok(pairing
        .pairs
        .into_iter()
        .map(|(r, d)| (dir.join(r), dir.join(d)))
        .collect())
}

/// Pairs listed in a CSV file (`reference,degraded`, relative to the file).
fn pairs_in_list(list: &Path) -> Result<Vec<(PathBuf, PathBuf)>, CliError> {
    let text = std::fs::read_to_string(list)
        .map_err(|e| CliError::BadInput(format!("{}: {e}", list.display())))?;
    let base = list.parent().unwrap_or(Path::new("."));
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if i == 0 && fields.first() == Some(&"reference") {
            continue;
        }
        if fields.len() < 2 {
            return Err(CliError::BadInput(format!(
                "{}:{}: expected `reference,degraded`",
                list.display(),
                i + 1
            )));
        }
        pairs.push((base.join(fields[0]), base.join(fields[1])));
    }
    Ok(pairs)
}

fn below(min: Option<f64>, mos: f64) -> bool {
    min.is_some_and(|m| mos < m)
}

fn run_many(args: &ScoreArgs, pairs: Vec<(PathBuf, PathBuf)>, opts: &ScoreOptions) -> Outcome {
    if pairs.is_empty() {
        return Err(CliError::BadInput("no pairs to score".into()));
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, pairs.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Score, CliError>>>> =
        Mutex::new((0..pairs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((r, d)) = pairs.get(i) else {
                        break;
                    };
                    let res = score_pair(r, d, opts);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(res);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let mut failed = 0usize;
    let mut low = 0usize;
    let mut json = Vec::new();
    if !args.json {
        crate::commands::print_line(&format!(
            "{:<40} {:<40} {:>7} {:>7} {:>9}  category",
            "reference", "degraded", "raw", "MOS-LQO", "delay ms"
        ));
    }
    for ((r, d), res) in pairs.iter().zip(results) {
        match res {
            Some(Ok(score)) => {
                if below(args.min_mos, score.mos_lqo) {
                    low += 1;
                }
                if args.json {
                    let mut v = to_json(&score, args.frames);
                    if let Some(obj) = v.as_object_mut() {
                        obj.insert("reference".into(), r.display().to_string().into());
                        obj.insert("degraded".into(), d.display().to_string().into());
                    }
                    json.push(v);
                } else {
                    for warning in &score.warnings {
                        eprintln!("farend: {}: {}", d.display(), warning.message());
                    }
                    crate::commands::print_line(&format!(
                        "{:<40} {:<40} {:>7.3} {:>7.3} {:>9.1}  {:?}",
                        r.display(),
                        d.display(),
                        score.raw,
                        score.mos_lqo,
                        score.delay_ms,
                        score.category
                    ));
                }
            }
            Some(Err(e)) => {
                failed += 1;
                if args.json {
                    json.push(serde_json::json!({
                        "reference": r.display().to_string(),
                        "degraded": d.display().to_string(),
                        "error": e.to_string(),
                    }));
                } else {
                    eprintln!("farend: {e}");
                }
            }
            None => failed += 1,
        }
    }
    if args.json {
        crate::commands::print_line(
            &serde_json::to_string_pretty(&json)
                .unwrap_or_default()
                .to_string(),
        );
    }
    if failed > 0 {
        eprintln!(
            "farend: {failed} of {} pairs could not be scored",
            pairs.len()
        );
        return Ok(ExitCode::from(2));
    }
    Ok(if low > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs `farend score`.
pub fn run(args: ScoreArgs) -> Outcome {
    let opts = options(&args)?;
    if let Some(dir) = &args.dir {
        let pairs = pairs_in_dir(dir)?;
        return run_many(&args, pairs, &opts);
    }
    if let Some(list) = &args.list {
        let pairs = pairs_in_list(list)?;
        return run_many(&args, pairs, &opts);
    }
    let (Some(reference), Some(degraded)) = (&args.reference, &args.degraded) else {
        return Err(CliError::BadInput(
            "give REF.wav and DEG.wav, or --dir DIR, or --list FILE.csv".into(),
        ));
    };
    let score = score_pair(reference, degraded, &opts)?;
    if args.json {
        crate::commands::print_line(
            &serde_json::to_string_pretty(&to_json(&score, args.frames))
                .unwrap_or_default()
                .to_string(),
        );
    } else {
        crate::commands::print_line(&format!("standard:   {}", score.standard));
        if let Some(note) = &score.resampled_from {
            crate::commands::print_line(&format!("resampled:  {note}"));
        }
        crate::commands::print_line(&format!("raw P.862:  {:.3}", score.raw));
        crate::commands::print_line(&format!(
            "MOS-LQO:    {:.3} ({:?})",
            score.mos_lqo, score.category
        ));
        crate::commands::print_line(&format!("delay:      {:.1} ms", score.delay_ms));
        for warning in &score.warnings {
            crate::commands::print_line(&format!("warning:    {}", warning.message()));
        }
        for (u, s) in score.utterances.iter().zip(score.utterance_scores.iter()) {
            crate::commands::print_line(&format!(
                "  utterance {:6.2}-{:6.2} s  delay {:7.1} ms  MOS-LQO {:.3}",
                u.start_s, u.end_s, u.delay_ms, s.mos_lqo
            ));
        }
    }
    // A score the method says not to trust is not a pass, whatever its value.
    Ok(
        if below(args.min_mos, score.mos_lqo) || score.disqualified().is_some() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_rule_pairs_ref_with_each_degraded_and_lists_the_rest() {
        let names: Vec<String> = [
            "a.ref.wav",
            "a.deg.wav",
            "a.deg.amr.wav",
            "a.deg-x.wav",
            "a.deg2.wav",
            "b.ref.wav",
            "ab.deg.wav",
            "c.deg.wav",
            "notes.wav",
            "a.deg.txt",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let pairing = pair_names(&names);
        let pair = |d: &str| ("a.ref.wav".to_string(), d.to_string());
        assert_eq!(
            pairing.pairs,
            vec![
                pair("a.deg-x.wav"),
                pair("a.deg.amr.wav"),
                pair("a.deg.wav"),
                pair("a.deg2.wav")
            ]
        );
        let unpaired: Vec<&str> = pairing.unpaired.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            unpaired,
            ["b.ref.wav", "ab.deg.wav", "c.deg.wav", "notes.wav"]
        );
        assert!(pairing.unpaired[0].1.contains("no NAME.deg"));
        assert!(pairing.unpaired[1].1.contains("no NAME.ref"));
    }

    #[test]
    fn dir_without_pairs_is_an_error_naming_the_directory() {
        let dir = std::env::temp_dir().join(format!("farend-score-nopair-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("x.ref.wav"), b"").expect("write");
        let err = pairs_in_dir(&dir).expect_err("no pairs");
        assert!(
            err.to_string().contains(&dir.display().to_string()),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn list_rule_skips_header_and_resolves_relative_paths() {
        let dir = std::env::temp_dir().join(format!("farend-score-list-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let csv = dir.join("pairs.csv");
        std::fs::write(
            &csv,
            "reference,degraded\nr.wav,d.wav\n\n# note\nx/r2.wav, x/d2.wav\n",
        )
        .expect("write");
        let pairs = pairs_in_list(&csv).expect("pairs");
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].0, dir.join("x/r2.wav"));
        assert_eq!(pairs[1].1, dir.join("x/d2.wav"));
        std::fs::write(&csv, "only-one-field\n").expect("write");
        assert!(pairs_in_list(&csv).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
