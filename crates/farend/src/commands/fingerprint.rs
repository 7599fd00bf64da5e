//! `farend fingerprint`: build a fingerprint index of reference audio, or identify which
//! reference a recording carries.

use super::{CliError, Outcome};
use clap::{Args, Subcommand};
use farend_dsp::fingerprint::{Index, identify};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `farend fingerprint`.
#[derive(Debug, Args)]
pub struct FingerprintArgs {
    #[command(subcommand)]
    command: FingerprintCommand,
}

#[derive(Debug, Subcommand)]
enum FingerprintCommand {
    /// Fingerprint a reference library into an index.
    ///
    /// A folder with a `manifest.toml` (like `audio-refs/`) is read as the reference library:
    /// one entry per reference, named as scenarios name it (`speech/en-f1`), whatever rates
    /// its files come in. Any other folder: every WAV file under it, named by its path
    /// relative to the folder without the extension.
    Index(IndexArgs),
    /// Identify which indexed reference FILE carries, and at what offset.
    ///
    /// Exit code 0 when a reference matches, 1 when none does.
    Identify(IdentifyArgs),
}

/// Arguments of `farend fingerprint index`.
#[derive(Debug, Args)]
struct IndexArgs {
    /// Folder of reference WAV files (searched recursively).
    dir: PathBuf,
    /// Where to write the index.
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `farend fingerprint identify`.
#[derive(Debug, Args)]
struct IdentifyArgs {
    /// The index written by `farend fingerprint index`.
    #[arg(long)]
    index: PathBuf,
    /// The recording (WAV).
    file: PathBuf,
    /// Print the result as JSON: {"match": NAME|null, "offset_ms": ..., "confidence": ...,
    /// "reason": why nothing matched|null, and the evidence behind the verdict}.
    #[arg(long)]
    json: bool,
}

/// Runs `farend fingerprint`.
pub fn run(args: FingerprintArgs) -> Outcome {
    match args.command {
        FingerprintCommand::Index(a) => build_index(&a),
        FingerprintCommand::Identify(a) => run_identify(&a),
    }
}

fn wav_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::BadInput(format!("{}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            wav_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")) {
            out.push(p);
        }
    }
    Ok(())
}

fn read_f32(path: &Path) -> Result<(u32, Vec<f32>), CliError> {
    // read_wav takes the common 16-bit mono file straight from its bytes.
    let pcm = farend_audio::read_wav(path).map_err(|e| CliError::BadInput(e.to_string()))?;
    Ok((pcm.rate, pcm.to_f32()))
}

fn build_index(args: &IndexArgs) -> Outcome {
    let index = if args.dir.join("manifest.toml").is_file() {
        library_index(&args.dir)?
    } else {
        folder_index(&args.dir)?
    };
    let bytes = index.to_bytes();
    std::fs::write(&args.out, &bytes)
        .map_err(|e| CliError::BadInput(format!("{}: {e}", args.out.display())))?;
    eprintln!(
        "indexed {} references ({:.1} s of audio) into {} ({} bytes)",
        index.len(),
        index.total_duration_s(),
        args.out.display(),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The library's references under the library's own names (the rule scenarios use).
fn library_index(dir: &Path) -> Result<Index, CliError> {
    let refs =
        farend_audio::RefLibrary::open(dir).map_err(|e| CliError::BadInput(e.to_string()))?;
    let index = farend_runner::fingerprint_index(&refs);
    if index.is_empty() {
        return Err(CliError::BadInput(format!(
            "{}: the library holds no reference that can be fingerprinted",
            dir.display()
        )));
    }
    Ok(index)
}

/// Every WAV file under `dir`, named by its path relative to `dir` without the extension.
fn folder_index(dir: &Path) -> Result<Index, CliError> {
    let mut files = Vec::new();
    wav_files(dir, &mut files)?;
    if files.is_empty() {
        return Err(CliError::BadInput(format!(
            "{}: no WAV files",
            dir.display()
        )));
    }
    let mut index = Index::new();
    for f in &files {
        let name = f
            .strip_prefix(dir)
            .unwrap_or(f)
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let (rate, samples) = read_f32(f)?;
        index
            .add(&name, &samples, rate)
            .map_err(|e| CliError::BadInput(format!("{}: {e}", f.display())))?;
    }
    Ok(index)
}

fn run_identify(args: &IdentifyArgs) -> Outcome {
    let bytes = std::fs::read(&args.index)
        .map_err(|e| CliError::BadInput(format!("{}: {e}", args.index.display())))?;
    let index = Index::from_bytes(&bytes)
        .map_err(|e| CliError::BadInput(format!("{}: {e}", args.index.display())))?;
    let (rate, samples) = read_f32(&args.file)?;
    let id = identify(&index, &samples, rate);
    if args.json {
        let json = serde_json::to_string(&id)
            .map_err(|e| CliError::LabFault(format!("cannot render JSON: {e}")))?;
        crate::commands::print_line(&json.to_string());
    } else {
        match (&id.matched, id.offset_ms) {
            (Some(name), Some(ms)) => crate::commands::print_line(&format!(
                "{name} at {ms:.1} ms (confidence {:.2}, bit error rate {:.3})",
                id.confidence, id.ber
            )),
            _ => crate::commands::print_line(&format!(
                "no match: {}",
                id.reason
                    .as_deref()
                    .unwrap_or("no reference is close enough")
            )),
        }
    }
    Ok(if id.matched.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
