//! `farend calibrate`: measures a handset's sound card latency and level through a loop
//! cable (the mic card's output into the ear card's input, the phone out of the path) and
//! writes `mic_delay_ms` / `ear_delay_ms` into the lab file, so reports show the network's
//! mouth-to-ear delay without the cards'.

use super::audio::{PlayArgs, endpoint, load_reference, measure_loop};
use super::{CliError, Outcome};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `farend calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The lab file that names the handset and its sound card endpoints.
    #[arg(long, value_name = "FILE")]
    lab: PathBuf,
    /// The handset's id in the lab file.
    #[arg(long, value_name = "ID")]
    handset: String,
    /// Write the latencies into the lab file itself (default: a copy, see --out).
    #[arg(long, conflicts_with = "out")]
    write: bool,
    /// Where to write the calibrated copy (default: LAB with `.calibrated` before `.yaml`).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    play: PlayArgs,
}

/// Runs `farend calibrate`.
pub fn run(args: CalibrateArgs) -> Outcome {
    let text = std::fs::read_to_string(&args.lab)
        .map_err(|e| CliError::BadInput(format!("{}: {e}", args.lab.display())))?;
    let lab = farend_scenario::parse_lab(&text, &args.lab)
        .map_err(|e| CliError::BadInput(e.to_string()))?;
    let handset = lab
        .handsets
        .iter()
        .find(|h| h.id == args.handset)
        .ok_or_else(|| {
            let ids: Vec<&str> = lab.handsets.iter().map(|h| h.id.as_str()).collect();
            CliError::BadInput(format!(
                "{}: no handset `{}` (the lab file has: {})",
                args.lab.display(),
                args.handset,
                ids.join(", ")
            ))
        })?;
    let mic = endpoint("mic", &handset.mic)?;
    let ear = endpoint("ear", &handset.ear)?;
    let play = &args.play;
    let reference = load_reference(&play.reference, &play.refs)?;
    let measured = measure_loop(&mic, &ear, reference, &play.reference, play.seconds)?;
    let a = &measured.analysis;
    let (Some(delay_ms), true) = (a.delay_ms, measured.arrived) else {
        return Err(CliError::LabFault(format!(
            "handset {}: nothing came back on {ear} while playing into {mic}: is the loop cable from the mic card's output into the ear card's input in place?",
            handset.id
        )));
    };
    // The loop holds both cards; it cannot tell their shares apart, so each gets half.
    // A delay a hair below zero is the timestamps' error, not a card that runs early.
    let loop_ms = delay_ms.max(0.0);
    let each_ms = loop_ms / 2.0;
    let gain_db = a
        .level_dbov
        .zip(a.reference_level_dbov)
        .map(|(level, reference)| level - reference);
    let edited =
        farend_scenario::with_handset_latencies(&text, &lab, &handset.id, each_ms, each_ms)
            .map_err(|e| CliError::BadInput(format!("{}: {e}", args.lab.display())))?;
    let dest = if args.write {
        args.lab.clone()
    } else {
        args.out
            .clone()
            .unwrap_or_else(|| calibrated_copy(&args.lab))
    };
    std::fs::write(&dest, edited)
        .map_err(|e| CliError::LabFault(format!("cannot write {}: {e}", dest.display())))?;
    if play.json {
        let json = serde_json::json!({
            "handset": handset.id,
            "mic": mic.to_string(),
            "ear": ear.to_string(),
            "loop_delay_ms": loop_ms,
            "mic_delay_ms": (each_ms * 100.0).round() / 100.0,
            "ear_delay_ms": (each_ms * 100.0).round() / 100.0,
            "loop_gain_db": gain_db,
            "noise_floor_dbov": a.noise_floor_dbov,
            "late_samples": measured.late_samples,
            "written": dest.display().to_string(),
        });
        super::print_line(&serde_json::to_string_pretty(&json).unwrap_or_default());
    } else {
        super::print_line(&format!("handset:     {}", handset.id));
        super::print_line(&format!("loop:        {mic} -> {ear}"));
        super::print_line(&format!(
            "latency:     {loop_ms:.2} ms through the loop: mic_delay_ms {each_ms:.2}, ear_delay_ms {each_ms:.2}"
        ));
        if let Some(g) = gain_db {
            super::print_line(&format!("loop gain:   {g:+.1} dB"));
        }
        super::print_line(&format!("written to:  {}", dest.display()));
    }
    Ok(ExitCode::SUCCESS)
}

/// `lab.yaml` → `lab.calibrated.yaml`, beside it.
fn calibrated_copy(lab: &Path) -> PathBuf {
    let stem = lab
        .file_stem()
        .map_or_else(|| "lab".into(), |s| s.to_string_lossy().into_owned());
    let ext = lab
        .extension()
        .map_or_else(|| "yaml".into(), |e| e.to_string_lossy().into_owned());
    lab.with_file_name(format!("{stem}.calibrated.{ext}"))
}
