//! `farend analyze`: delay and audio-path verdicts of a recording against its reference.

use super::{CliError, Outcome};
use clap::Args;
use farend_dsp::fingerprint::{self, Extractor, IdentifyOptions, Index};
use farend_dsp::verdict::{AnalyzeOptions, IdentityVerdict, PathAnalysis, analyze_path};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `farend analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The reference that was played (WAV).
    reference: PathBuf,
    /// The recording made at the far end (WAV; resampled to the reference's rate if needed).
    recording: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Known fixed path delay to subtract for the mouth-to-ear delay, in milliseconds.
    #[arg(long, default_value_t = 0.0)]
    fixed_delay_ms: f64,
    /// Largest delay searched, in seconds.
    #[arg(long, default_value_t = 2.0)]
    max_delay_s: f64,
    /// Shortest mute gap reported, in milliseconds.
    #[arg(long, default_value_t = 100.0)]
    min_gap_ms: f64,
    /// A fingerprint index: also check that no other reference wins (wrong audio).
    #[arg(long)]
    index: Option<PathBuf>,
}

fn read(path: &Path) -> Result<farend_audio::Pcm, CliError> {
    farend_audio::read_wav(path).map_err(|e| CliError::BadInput(e.to_string()))
}

/// Runs `farend analyze`.
pub fn run(args: AnalyzeArgs) -> Outcome {
    if !(args.max_delay_s.is_finite() && args.max_delay_s > 0.0) {
        return Err(CliError::BadInput(
            "--max-delay-s must be a positive number".into(),
        ));
    }
    let reference = read(&args.reference)?;
    let mut recording = read(&args.recording)?;
    if recording.rate != reference.rate {
        recording = farend_audio::resample(&recording, reference.rate)
            .map_err(|e| CliError::BadInput(e.to_string()))?;
    }
    let opts = AnalyzeOptions {
        max_delay_s: args.max_delay_s,
        fixed_path_delay_ms: args.fixed_delay_ms,
        min_gap_ms: args.min_gap_ms,
        ..AnalyzeOptions::default()
    };
    let (x, y, rate) = (reference.to_f32(), recording.to_f32(), reference.rate);
    let mut analysis = analyze_path(&x, &y, rate, &opts);
    if let Some(path) = &args.index {
        let index = read_index(path)?;
        analysis.identity = Some(check_identity(&index, &args.reference, &x, &y, rate));
    }
    if args.json {
        let json = serde_json::to_string_pretty(&analysis)
            .map_err(|e| CliError::LabFault(format!("cannot render JSON: {e}")))?;
        crate::commands::print_line(&json.to_string());
    } else {
        print_human(&analysis);
    }
    Ok(if failed(&analysis) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether the analysis reports a failing verdict: no audio, or the wrong audio.
fn failed(a: &PathAnalysis) -> bool {
    !a.audio_present || a.identity.as_ref().is_some_and(|i| i.wrong_audio)
}

fn read_index(path: &Path) -> Result<Index, CliError> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::BadInput(format!("{}: {e}", path.display())))?;
    Index::from_bytes(&bytes).map_err(|e| CliError::BadInput(format!("{}: {e}", path.display())))
}

/// Tells whether the recording carries the reference's audio, whatever the files are called:
/// the recording is compared with the reference's own fingerprint, and only when it does not
/// follow it does the library's answer (another reference) make it wrong audio. The expected
/// name is the library's name for the reference's audio when the library holds it.
fn check_identity(
    index: &Index,
    reference_path: &Path,
    reference: &[f32],
    recording: &[f32],
    rate: u32,
) -> IdentityVerdict {
    let identified = fingerprint::identify(index, recording, rate);
    let carries_reference = Extractor::new(rate).ok().is_some_and(|mut ex| {
        let fp = ex.reference(reference);
        fingerprint::align(&fp, recording, rate, &IdentifyOptions::default()).is_some()
    });
    let expected = fingerprint::identify(index, reference, rate)
        .matched
        .unwrap_or_else(|| {
            reference_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let wrong_audio =
        !carries_reference && identified.matched.as_deref().is_some_and(|m| m != expected);
    IdentityVerdict {
        expected,
        identified,
        wrong_audio,
    }
}

fn db(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.1} dBov"))
}

fn print_human(a: &PathAnalysis) {
    crate::commands::print_line(&format!(
        "audio present:   {}",
        if a.audio_present { "yes" } else { "NO" }
    ));
    match &a.delay {
        Some(d) => crate::commands::print_line(&format!(
            "delay:           {:.2} ms (mouth-to-ear {:.2} ms, confidence {:.2})",
            d.delay_ms, d.mouth_to_ear_ms, d.confidence
        )),
        None => crate::commands::print_line("delay:           not found"),
    }
    if let Some(ppm) = a.delay.as_ref().and_then(|d| d.drift_ppm) {
        crate::commands::print_line(&format!(
            "clock drift:     {ppm:+.1} ppm (the delay grew {:.2} ms per minute)",
            ppm * 60e-3
        ));
    }
    crate::commands::print_line(&format!(
        "level:           {} (reference {})",
        db(a.level_dbov),
        db(a.reference_level_dbov)
    ));
    crate::commands::print_line(&format!("noise floor:     {}", db(a.noise_floor_dbov)));
    crate::commands::print_line(&format!(
        "mute gaps:       {} (longest {:.0} ms)",
        a.gaps.len(),
        a.max_gap_ms
    ));
    crate::commands::print_line(&format!(
        "clipping:        {} ({} samples)",
        if a.clipping.clipped { "YES" } else { "no" },
        a.clipping.clipped_samples
    ));
    if let Some(id) = &a.identity {
        crate::commands::print_line(&format!(
            "identified as:   {} ({})",
            id.identified.matched.as_deref().unwrap_or("nothing"),
            if id.wrong_audio { "WRONG AUDIO" } else { "ok" }
        ));
    }
}
