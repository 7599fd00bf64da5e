//! One module per subcommand; each exposes clap `Args` and a `run` function.

use std::process::ExitCode;

pub mod analyze;
pub mod audio;
pub mod calibrate;
pub mod compare;
pub mod detect;
pub mod devices;
pub mod fingerprint;
pub mod lab;
pub mod report;
pub mod run;
pub mod score;
pub mod validate;

/// Why a subcommand could not finish; the binary prints it and exits with its code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user gave something unusable (a file, an argument): exit code 2.
    #[error("{0}")]
    BadInput(String),
    /// The lab or the machine failed (device, sound card, I/O): exit code 3.
    #[error("{0}")]
    LabFault(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::BadInput(_) => ExitCode::from(2),
            CliError::LabFault(_) => ExitCode::from(3),
        }
    }
}

/// What a subcommand returns: its exit code, or an error to print.
pub type Outcome = Result<ExitCode, CliError>;

use farend_audio::RefLibrary;
use std::path::{Path, PathBuf};

/// Where reference audio is found.
#[derive(Debug, clap::Args)]
pub struct RefsArg {
    /// The reference audio folder (default: $FAREND_AUDIO_REFS, ./audio-refs, or the one shipped beside the binary).
    #[arg(long = "refs", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl RefsArg {
    /// The folder to use, by the documented order of preference.
    pub fn resolve(&self) -> PathBuf {
        if let Some(dir) = &self.dir {
            return dir.clone();
        }
        if let Some(dir) = std::env::var_os("FAREND_AUDIO_REFS") {
            return dir.into();
        }
        let local = PathBuf::from("audio-refs");
        if local.join("manifest.toml").exists() {
            return local;
        }
        // target/{debug,release}/farend → the checkout's audio-refs/.
        std::env::current_exe()
            .ok()
            .and_then(|exe| {
                exe.parent()?
                    .parent()?
                    .parent()
                    .map(|root| root.join("audio-refs"))
            })
            .filter(|dir| dir.join("manifest.toml").exists())
            .unwrap_or(local)
    }

    /// Opens the reference library.
    pub fn open(&self) -> Result<RefLibrary, CliError> {
        let dir = self.resolve();
        RefLibrary::open(&dir)
            .map_err(|e| CliError::BadInput(format!("reference audio in {}: {e}", dir.display())))
    }
}

/// Settings of the built-in virtual lab.
#[derive(Debug, clap::Args)]
pub struct VirtualLabArgs {
    /// How many virtual handsets (default: enough for the jobs, at least 4).
    #[arg(long = "virtual-handsets", value_name = "N")]
    pub handsets: Option<usize>,
    /// The virtual network's one-way transport delay in milliseconds.
    #[arg(long = "virtual-delay-ms", value_name = "MS", default_value_t = 60)]
    pub delay_ms: u64,
}

impl VirtualLabArgs {
    /// The virtual lab's configuration for a run of `jobs` parallel cases.
    pub fn config(&self, jobs: usize) -> farend_lab::LabConfig {
        farend_lab::LabConfig {
            handsets: self.handsets.unwrap_or((2 * jobs).max(4)),
            transport_delay: std::time::Duration::from_millis(self.delay_ms),
            ..Default::default()
        }
    }
}

/// `config` with what a lab file's `virtual:` sets (handsets, sample rate).
pub fn virtual_config(
    mut config: farend_lab::LabConfig,
    lab_file: Option<&farend_scenario::Lab>,
) -> farend_lab::LabConfig {
    if let Some(n) = lab_file.and_then(|f| f.virtual_handsets) {
        config.handsets = n;
    }
    if let Some(hz) = lab_file.and_then(|f| f.virtual_sample_rate) {
        config.sample_rate = hz;
    }
    config
}

/// Turns a scenario or lab file error into the binary's bad-input error.
pub fn load_error(err: farend_scenario::LoadError) -> CliError {
    CliError::BadInput(err.to_string())
}

/// Loads every scenario under `paths`, reporting all errors of all files at once.
pub fn load_scenarios(
    paths: &[PathBuf],
    refs: &RefLibrary,
) -> Result<Vec<farend_scenario::Scenario>, CliError> {
    let files = farend_scenario::discover(paths).map_err(load_error)?;
    if files.is_empty() {
        return Err(CliError::BadInput(format!(
            "no scenario files (*.yaml) in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let known = |name: &str| refs.contains(name);
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        match farend_scenario::load_scenarios(file, &known) {
            Ok(s) => scenarios.extend(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        farend_scenario::check_unique_names(&scenarios).map_err(load_error)?;
        Ok(scenarios)
    } else {
        Err(CliError::BadInput(errors.join("\n")))
    }
}

/// Whether a YAML file is a lab file (it has a top-level `handsets:` key) rather than a scenario.
pub fn looks_like_lab(path: &Path) -> bool {
    std::fs::read(path)
        .map(|bytes| {
            bytes
                .split(|&b| b == b'\n')
                .any(|line| line.starts_with(b"handsets:"))
        })
        .unwrap_or(false)
}

/// Prints a line to standard output; when the reader has gone (`farend … | head`), the
/// program ends quietly, as Unix tools do, instead of panicking.
pub fn print_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}
