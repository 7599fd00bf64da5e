//! `farend audio check`: play a reference into one sound card endpoint, record another, and
//! say whether the audio arrived, how late and how loud — the lab staff's wiring check.
//! `farend audio devices`: the sound cards a lab file can name, with their rates and channels.

use super::{CliError, Outcome, RefsArg};
use clap::{Args, Subcommand};
use farend_audio::{AudioError, Endpoint, Pcm};
use farend_dsp::verdict::{AnalyzeOptions, PathAnalysis, analyze_path};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The reference played when `--ref` is not given: speech has one clear delay, a tone does not.
const DEFAULT_REF: &str = "speech/en-f1";
/// Rate references are loaded at; they are resampled to the card's rate when it differs.
const LOAD_RATE: u32 = 16_000;
/// Recording beyond the end of the reference, in seconds: the longest delay found.
const MARGIN_S: f64 = 1.0;
/// Time allowed beyond the audio itself for connecting and warming up the cards.
const SLACK: Duration = Duration::from_secs(15);

/// Arguments of `farend audio`.
#[derive(Debug, Args)]
pub struct AudioArgs {
    #[command(subcommand)]
    command: AudioCommand,
}

#[derive(Debug, Subcommand)]
enum AudioCommand {
    /// Play a reference into MIC, record EAR, report delay, level and whether audio arrived.
    Check(CheckArgs),
    /// List the PulseAudio and ALSA devices a lab file can name, with rates and channels.
    Devices(DevicesArgs),
}

#[derive(Debug, Args)]
struct DevicesArgs {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Endpoint played into: pulseaudio:SINK, alsa:DEVICE or virtual:HOST:PORT.
    #[arg(long, value_name = "ENDPOINT")]
    mic: String,
    /// Endpoint recorded: pulseaudio:SOURCE (e.g. SINK.monitor), alsa:DEVICE or virtual:HOST:PORT.
    #[arg(long, value_name = "ENDPOINT")]
    ear: String,
    #[command(flatten)]
    play: PlayArgs,
}

/// What a loop measurement plays and how it reports (shared by `audio check` and
/// `calibrate`).
#[derive(Debug, Args)]
pub(super) struct PlayArgs {
    /// Reference to play: a library name (speech/en-f1, tones/1000hz) or a WAV file.
    #[arg(long = "ref", value_name = "NAME|FILE.wav", default_value = DEFAULT_REF)]
    pub reference: String,
    /// Play this many seconds of the reference (cut, or repeated), instead of all of it.
    #[arg(long, value_name = "N")]
    pub seconds: Option<f64>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub refs: RefsArg,
}

/// Runs `farend audio`.
pub fn run(args: AudioArgs) -> Outcome {
    match args.command {
        AudioCommand::Check(args) => check(args),
        AudioCommand::Devices(args) => devices(&args),
    }
}

/// Lists every host's devices; a host that cannot be asked is shown with its reason. Exit 0
/// when any host answered, 3 (a lab fault) when none did.
fn devices(args: &DevicesArgs) -> Outcome {
    let hosts = farend_audio::list_devices();
    if args.json {
        let text = serde_json::to_string_pretty(&hosts).unwrap_or_default();
        println!("{text}");
    } else {
        for host in &hosts {
            println!("{}:", host.host);
            if let Some(error) = &host.error {
                println!("  not available: {error}");
            } else if host.devices.is_empty() {
                println!("  no devices");
            }
            for device in &host.devices {
                println!("  {}", device.endpoint);
                if let Some(description) = &device.description {
                    println!("      {description}");
                }
                for (role, caps) in [
                    ("playback (mic:)", &device.playback),
                    ("capture (ear:) ", &device.capture),
                ] {
                    if let Some(caps) = caps {
                        println!(
                            "      {role}  rates {}  channels {}",
                            join(&caps.rates),
                            runs(&caps.channels)
                        );
                    }
                }
            }
        }
    }
    if hosts.iter().all(|h| h.error.is_some()) {
        return Err(CliError::LabFault(
            "no sound card host could be asked (neither PulseAudio nor ALSA)".to_string(),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Counts written as runs: `1, 2` or `1-64`.
fn runs(counts: &[u16]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < counts.len() {
        let mut j = i;
        while j + 1 < counts.len() && counts[j + 1] == counts[j] + 1 {
            j += 1;
        }
        parts.push(if j >= i + 2 {
            format!("{}-{}", counts[i], counts[j])
        } else {
            counts[i..=j]
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        });
        i = j + 1;
    }
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(", ")
    }
}

fn join<T: ToString>(values: &[T]) -> String {
    if values.is_empty() {
        return "-".to_string();
    }
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn endpoint(flag: &str, text: &str) -> Result<Endpoint, CliError> {
    text.parse()
        .map_err(|e: AudioError| CliError::BadInput(format!("--{flag}: {e}")))
}

/// Loads the reference named on the command line: a WAV file, else a library name.
pub(super) fn load_reference(name: &str, refs: &RefsArg) -> Result<Pcm, CliError> {
    let is_file = Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
        || Path::new(name).is_file();
    if is_file {
        return farend_audio::read_wav(name).map_err(|e| CliError::BadInput(e.to_string()));
    }
    refs.open()?
        .load(name, LOAD_RATE)
        .map_err(|e| CliError::BadInput(e.to_string()))
}

/// Cuts or repeats `pcm` to `seconds`.
fn fit(pcm: Pcm, seconds: f64) -> Pcm {
    let len = (seconds * f64::from(pcm.rate)).round() as usize;
    let samples = pcm.samples.iter().copied().cycle().take(len).collect();
    Pcm::new(pcm.rate, samples)
}

/// Sound card errors are lab faults (exit 3); requests that cannot work are bad input.
pub(super) fn audio_error(err: AudioError) -> CliError {
    match err {
        AudioError::BadEndpoint { .. }
        | AudioError::Invalid(_)
        | AudioError::MixedEndpoints { .. } => CliError::BadInput(err.to_string()),
        other => CliError::LabFault(other.to_string()),
    }
}

/// What one play through a path (a cable, or a call) gave.
pub(super) struct LoopMeasurement {
    /// The reference as played.
    pub played_s: f64,
    /// The cards' rate.
    pub rate: u32,
    /// Samples that reached the card late.
    pub late_samples: u64,
    /// Whether the reference came back with a delay found.
    pub arrived: bool,
    /// Delay, level and the rest.
    pub analysis: PathAnalysis,
}

/// Plays `reference` (cut or repeated to `seconds`) into `mic`, records `ear` and analyses
/// the path.
pub(super) fn measure_loop(
    mic: &Endpoint,
    ear: &Endpoint,
    mut reference: Pcm,
    name: &str,
    seconds: Option<f64>,
) -> Result<LoopMeasurement, CliError> {
    farend_audio::check_pair(mic, ear).map_err(audio_error)?;
    if let Some(s) = seconds
        && !(s.is_finite() && s > 0.0 && s <= 600.0)
    {
        return Err(CliError::BadInput(
            "--seconds must be a number of seconds above 0 and at most 600".into(),
        ));
    }
    if reference.samples.is_empty() || reference.rate == 0 {
        return Err(CliError::BadInput(format!("reference {name} is empty")));
    }
    if let Some(s) = seconds {
        reference = fit(reference, s);
    }
    let record_s = reference.duration_s() + MARGIN_S;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::LabFault(format!("cannot start the async runtime: {e}")))?;
    let record = Duration::from_secs_f64(record_s);
    let capture = runtime
        .block_on(farend_audio::play_and_record_for(
            mic,
            ear,
            &reference,
            record,
            record + SLACK,
        ))
        .map_err(audio_error)?;
    let rate = capture.recording.rate;
    let opts = AnalyzeOptions {
        max_delay_s: MARGIN_S,
        ..AnalyzeOptions::default()
    };
    let analysis = analyze_path(
        &capture.reference.to_f32(),
        &capture.recording.to_f32(),
        rate,
        &opts,
    );
    Ok(LoopMeasurement {
        played_s: capture.reference.duration_s(),
        rate,
        late_samples: capture.late_samples,
        arrived: analysis.audio_present && analysis.delay.is_some(),
        analysis,
    })
}

fn check(args: CheckArgs) -> Outcome {
    let mic = endpoint("mic", &args.mic)?;
    let ear = endpoint("ear", &args.ear)?;
    let play = &args.play;
    let reference = load_reference(&play.reference, &play.refs)?;
    let measured = measure_loop(&mic, &ear, reference, &play.reference, play.seconds)?;
    let report = Report {
        mic: &mic,
        ear: &ear,
        reference: &play.reference,
        played_s: measured.played_s,
        rate: measured.rate,
        late_samples: measured.late_samples,
        arrived: measured.arrived,
        analysis: &measured.analysis,
    };
    if play.json {
        let json = serde_json::to_string_pretty(&report.json())
            .map_err(|e| CliError::LabFault(format!("cannot render JSON: {e}")))?;
        super::print_line(&json);
    } else {
        report.print();
    }
    Ok(if measured.arrived {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What `farend audio check` found.
struct Report<'a> {
    mic: &'a Endpoint,
    ear: &'a Endpoint,
    reference: &'a str,
    played_s: f64,
    rate: u32,
    late_samples: u64,
    arrived: bool,
    analysis: &'a PathAnalysis,
}

impl Report<'_> {
    fn json(&self) -> serde_json::Value {
        let a = self.analysis;
        serde_json::json!({
            "mic": self.mic.to_string(),
            "ear": self.ear.to_string(),
            "reference": self.reference,
            "played_s": self.played_s,
            "rate": self.rate,
            "audio_arrived": self.arrived,
            "audio_present": a.audio_present,
            "delay_ms": a.delay_ms,
            "delay_confidence": a.delay.as_ref().map(|d| d.confidence),
            "clock_drift_ppm": a.delay.as_ref().and_then(|d| d.drift_ppm),
            "level_dbov": a.level_dbov,
            "reference_level_dbov": a.reference_level_dbov,
            "noise_floor_dbov": a.noise_floor_dbov,
            "clipping": a.clipping.clipped,
            "late_samples": self.late_samples,
        })
    }

    fn print(&self) {
        let a = self.analysis;
        let db = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1} dBov"));
        let line = |text: String| super::print_line(&text);
        line(format!("mic:            {}", self.mic));
        line(format!("ear:            {}", self.ear));
        line(format!(
            "reference:      {} ({:.1} s at {} Hz)",
            self.reference, self.played_s, self.rate
        ));
        line(format!(
            "audio arrived:  {}",
            if self.arrived { "yes" } else { "NO" }
        ));
        line(match &a.delay {
            Some(d) => format!(
                "delay:          {:.2} ms (confidence {:.2})",
                d.delay_ms, d.confidence
            ),
            None => "delay:          not found".to_string(),
        });
        if let Some(ppm) = a.delay.as_ref().and_then(|d| d.drift_ppm) {
            line(format!("clock drift:    {ppm:+.1} ppm"));
        }
        line(format!(
            "level:          {} (reference {})",
            db(a.level_dbov),
            db(a.reference_level_dbov)
        ));
        line(format!("noise floor:    {}", db(a.noise_floor_dbov)));
        if a.clipping.clipped {
            line(format!(
                "clipping:       YES ({} samples)",
                a.clipping.clipped_samples
            ));
        }
        if self.late_samples > 0 {
            line(format!(
                "late samples:   {} (the capture started late: lower the system load)",
                self.late_samples
            ));
        }
    }
}
