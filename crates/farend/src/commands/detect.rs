//! `farend detect`: DTMF digits, steady tones and call-progress tones in a WAV recording.
//!
//! ```text
//! farend detect dtmf FILE [--json]
//! farend detect tones FILE [--pattern "1000/2000,0/1000,x3"] [--min-duration-ms MS] [--json]
//! farend detect progress FILE [--country CC] [--json]
//! ```
//! Exit code 0 when the file was analysed (whatever was found), 2 for an unreadable file or a
//! bad argument.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use farend_dsp::dtmf::detect_dtmf_i16;
use farend_dsp::progress::{ProgressMatch, classify_segments, countries, normalize_country};
use farend_dsp::tone::{
    PatternMatch, PatternTolerance, ToneConfig, TonePattern, ToneSegment, detect_tones_with,
    match_pattern,
};
use serde::Serialize;

use super::CliError;

/// Arguments of `farend detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// What to detect.
    #[command(subcommand)]
    pub what: DetectWhat,
}

/// The detectors.
#[derive(Debug, Subcommand)]
pub enum DetectWhat {
    /// DTMF digits with their times (ITU-T Q.24 receiver).
    Dtmf(DtmfArgs),
    /// Steady tones: frequency, level, start and end of every segment.
    Tones(TonesArgs),
    /// Call-progress tones (dial, ringback, busy, congestion, SIT) with their cadence.
    Progress(ProgressArgs),
}

/// Arguments of `farend detect dtmf`.
#[derive(Debug, Args)]
pub struct DtmfArgs {
    /// WAV recording (any rate; mixed to mono).
    pub file: PathBuf,
    /// Print JSON: {"digits": "...", "events": [{"digit", "start_ms", "end_ms", ...}]}.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `farend detect tones`.
#[derive(Debug, Args)]
pub struct TonesArgs {
    /// WAV recording (any rate; mixed to mono).
    pub file: PathBuf,
    /// Also look for a pattern: comma-separated FREQ[+FREQ]/MS steps, 0/MS for silence, xN repeats.
    #[arg(long)]
    pub pattern: Option<String>,
    /// Pattern frequency tolerance in percent.
    #[arg(long, default_value_t = 1.0)]
    pub freq_tolerance_pct: f64,
    /// Pattern timing tolerance of every edge in ms.
    #[arg(long, default_value_t = 20.0)]
    pub timing_tolerance_ms: f64,
    /// Shortest tone segment reported, in ms.
    #[arg(long, default_value_t = 40.0)]
    pub min_duration_ms: f64,
    /// Print JSON: {"tones": [...], "pattern": ...}.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `farend detect progress`.
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// WAV recording (any rate; mixed to mono).
    pub file: PathBuf,
    /// Country whose tones to consider (ITU, US, UK, DE, FR, JP, ...); all when omitted.
    #[arg(long)]
    pub country: Option<String>,
    /// Print JSON: {"match": {...} | null, "tones": [...]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct TonesOutput<'a> {
    tones: &'a [ToneSegment],
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<PatternOutput<'a>>,
}

#[derive(Serialize)]
struct PatternOutput<'a> {
    pattern: &'a str,
    found: bool,
    #[serde(rename = "match")]
    found_at: Option<PatternMatch>,
}

#[derive(Serialize)]
struct ProgressOutput<'a> {
    #[serde(rename = "match")]
    found: Option<&'a ProgressMatch>,
    tones: &'a [ToneSegment],
}

/// Reads a WAV file as f32 samples and its rate.
fn load(path: &PathBuf) -> Result<(Vec<f32>, u32), CliError> {
    let pcm = load_pcm(path)?;
    Ok((pcm.to_f32(), pcm.rate))
}

/// Reads a WAV file as 16-bit samples, refusing a zero sample rate.
fn load_pcm(path: &PathBuf) -> Result<farend_audio::Pcm, CliError> {
    let pcm = farend_audio::read_wav(path).map_err(|e| CliError::BadInput(e.to_string()))?;
    if pcm.rate == 0 {
        return Err(CliError::BadInput(format!(
            "{}: sample rate is 0",
            path.display()
        )));
    }
    Ok(pcm)
}

fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::LabFault(e.to_string()))?;
    crate::commands::print_line(&text.to_string());
    Ok(())
}

fn describe_tone(t: &ToneSegment) -> String {
    let freqs: Vec<String> = t.freqs_sorted().iter().map(|f| format!("{f:.1}")).collect();
    format!(
        "{:>9.1} – {:>9.1} ms  {:>7.1} ms  {} Hz  {:.1} dBov ({:.1} dBm0)",
        t.start_ms,
        t.end_ms,
        t.duration_ms,
        freqs.join("+"),
        t.level_dbov,
        t.level_dbm0
    )
}

/// Runs `farend detect`.
pub fn run(args: DetectArgs) -> super::Outcome {
    match args.what {
        DetectWhat::Dtmf(a) => dtmf(&a)?,
        DetectWhat::Tones(a) => tones(&a)?,
        DetectWhat::Progress(a) => progress(&a)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `farend detect dtmf`: the digits and their times.
fn dtmf(a: &DtmfArgs) -> Result<(), CliError> {
    // 16-bit samples straight in: an hour of audio is not copied to floats first.
    let pcm = load_pcm(&a.file)?;
    let r = detect_dtmf_i16(&pcm.samples, pcm.rate);
    if a.json {
        print_json(&r)?;
    } else {
        crate::commands::print_line(&format!(
            "digits: {}",
            if r.digits.is_empty() {
                "(none)"
            } else {
                &r.digits
            }
        ));
        for e in &r.events {
            crate::commands::print_line(&format!(
                "  {}  {:>9.1} – {:>9.1} ms",
                e.digit, e.start_ms, e.end_ms
            ));
        }
    }
    Ok(())
}

/// `farend detect tones`: every steady tone, and where `--pattern` is found.
fn tones(a: &TonesArgs) -> Result<(), CliError> {
    let pattern = a
        .pattern
        .as_deref()
        .map(TonePattern::parse)
        .transpose()
        .map_err(|e| CliError::BadInput(format!("--pattern: {e}")))?;
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    if ![
        a.freq_tolerance_pct,
        a.timing_tolerance_ms,
        a.min_duration_ms,
    ]
    .into_iter()
    .all(ok)
    {
        return Err(CliError::BadInput(
            "tolerances and durations must be non-negative numbers".into(),
        ));
    }
    let (x, rate) = load(&a.file)?;
    let cfg = ToneConfig {
        min_duration_ms: a.min_duration_ms,
        ..ToneConfig::default()
    };
    let tones = detect_tones_with(&x, rate, &cfg);
    let tol = PatternTolerance {
        freq: a.freq_tolerance_pct / 100.0,
        timing_ms: a.timing_tolerance_ms,
    };
    let found = pattern.as_ref().map(|p| match_pattern(&tones, p, &tol));
    if a.json {
        let pattern = match (&a.pattern, found.clone()) {
            (Some(text), Some(m)) => Some(PatternOutput {
                pattern: text,
                found: m.is_some(),
                found_at: m,
            }),
            _ => None,
        };
        print_json(&TonesOutput {
            tones: &tones,
            pattern,
        })?;
    } else {
        if tones.is_empty() {
            crate::commands::print_line("no steady tones");
        }
        for t in &tones {
            crate::commands::print_line(&describe_tone(t).to_string());
        }
        if let (Some(text), Some(m)) = (&a.pattern, found) {
            match m {
                Some(m) => crate::commands::print_line(&format!(
                    "pattern {text}: found at {:.1} ms (max error {:.2}%, {:.1} ms)",
                    m.start_ms,
                    m.max_freq_error * 100.0,
                    m.max_timing_error_ms
                )),
                None => crate::commands::print_line(&format!("pattern {text}: not found")),
            }
        }
    }
    Ok(())
}

/// `farend detect progress`: the call-progress tone recognised, with its country.
fn progress(a: &ProgressArgs) -> Result<(), CliError> {
    if let Some(c) = &a.country {
        let c = normalize_country(c);
        if !countries().contains(&c.as_str()) {
            return Err(CliError::BadInput(format!(
                "unknown country '{c}' (known: {})",
                countries().join(", ")
            )));
        }
    }
    let (x, rate) = load(&a.file)?;
    let tones = detect_tones_with(&x, rate, &ToneConfig::default());
    let total_ms = x.len() as f64 * 1000.0 / f64::from(rate);
    let m = classify_segments(&tones, total_ms, a.country.as_deref());
    if a.json {
        print_json(&ProgressOutput {
            found: m.as_ref(),
            tones: &tones,
        })?;
    } else {
        match &m {
            Some(m) => {
                let freqs: Vec<String> = m.freqs_hz.iter().map(|f| format!("{f:.1}")).collect();
                let cadence: Vec<String> = m.cadence_ms.iter().map(|c| format!("{c:.0}")).collect();
                let code = m.sit_code.map(|c| format!(" {c:?}")).unwrap_or_default();
                crate::commands::print_line(&format!(
                    "{} {}{code}: {} Hz, cadence {} ms, from {:.1} ms",
                    m.country,
                    m.kind.name(),
                    freqs.join("+"),
                    if cadence.is_empty() {
                        "continuous".to_owned()
                    } else {
                        cadence.join("/")
                    },
                    m.start_ms
                ));
                if !m.alternatives.is_empty() {
                    crate::commands::print_line(&format!(
                        "  identical to: {}",
                        m.alternatives.join(", ")
                    ));
                }
            }
            None => crate::commands::print_line("no call-progress tone recognised"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use farend_audio::{Pcm, write_wav};

    fn wav(name: &str, rate: u32, x: &[f32]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("farend-detect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        write_wav(&path, &Pcm::from_f32(rate, x)).expect("write wav");
        path
    }

    #[test]
    fn detects_from_files() {
        let x = farend_dsp::dtmf::generate_dtmf("123#", 100, 100, -12.0, 16000).expect("valid");
        let file = wav("dtmf.wav", 16000, &x);
        assert!(
            run(DetectArgs {
                what: DetectWhat::Dtmf(DtmfArgs {
                    file: file.clone(),
                    json: true
                })
            })
            .is_ok()
        );
        let tones = TonesArgs {
            file,
            pattern: Some("697+1209/100,0/100".into()),
            freq_tolerance_pct: 1.0,
            timing_tolerance_ms: 20.0,
            min_duration_ms: 40.0,
            json: false,
        };
        assert!(
            run(DetectArgs {
                what: DetectWhat::Tones(tones)
            })
            .is_ok()
        );
        let p = farend_dsp::progress::generate_progress(
            "DE",
            farend_dsp::progress::ProgressKind::Busy,
            3.0,
            -20.0,
            8000,
        )
        .expect("known tone");
        let file = wav("busy.wav", 8000, &p);
        let args = ProgressArgs {
            file,
            country: Some("de".into()),
            json: true,
        };
        assert!(
            run(DetectArgs {
                what: DetectWhat::Progress(args)
            })
            .is_ok()
        );
    }

    #[test]
    fn bad_input_is_exit_code_2() {
        let missing = PathBuf::from("/nonexistent/farend/x.wav");
        let err = run(DetectArgs {
            what: DetectWhat::Dtmf(DtmfArgs {
                file: missing.clone(),
                json: false,
            }),
        })
        .expect_err("missing file");
        assert!(matches!(err, CliError::BadInput(_)));
        let args = ProgressArgs {
            file: missing.clone(),
            country: Some("XX".into()),
            json: false,
        };
        assert!(matches!(
            run(DetectArgs {
                what: DetectWhat::Progress(args)
            }),
            Err(CliError::BadInput(_))
        ));
        let tones = TonesArgs {
            file: missing,
            pattern: Some("nonsense".into()),
            freq_tolerance_pct: 1.0,
            timing_tolerance_ms: 20.0,
            min_duration_ms: 40.0,
            json: false,
        };
        assert!(matches!(
            run(DetectArgs {
                what: DetectWhat::Tones(tones)
            }),
            Err(CliError::BadInput(_))
        ));
    }
}
