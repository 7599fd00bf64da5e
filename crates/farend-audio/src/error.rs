//! Errors of the audio crate.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong reading, converting, playing or recording audio.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A WAV file could not be decoded or encoded.
    #[error("{}: {source}", path.display())]
    Wav {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: hound::Error,
    },
    /// A WAV file uses a sample format this crate does not read.
    #[error("{}: unsupported WAV format: {detail}", path.display())]
    WavFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A sample rate conversion could not be set up or run.
    #[error("cannot resample from {from} Hz to {to} Hz: {detail}")]
    Resample {
        /// Source rate.
        from: u32,
        /// Target rate.
        to: u32,
        /// What went wrong.
        detail: String,
    },
    /// The reference manifest is malformed.
    #[error("{}: {detail}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// No reference of that name exists.
    #[error("unknown reference '{name}'{hint}")]
    UnknownReference {
        /// The requested name.
        name: String,
        /// A hint listing known names (may be empty).
        hint: String,
    },
    /// A generated reference (tone, DTMF) could not be generated.
    #[error("cannot generate reference '{name}': {detail}")]
    Generate {
        /// The requested name.
        name: String,
        /// Why.
        detail: String,
    },
    /// An endpoint string could not be parsed.
    #[error("invalid audio endpoint '{text}': {reason}")]
    BadEndpoint {
        /// The text given.
        text: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The endpoint names a kind of sound card this build cannot drive yet.
    #[error("audio endpoint '{endpoint}': {reason}")]
    Unsupported {
        /// The endpoint.
        endpoint: String,
        /// What is missing.
        reason: String,
    },
    /// A virtual sound card was paired with a real one: their clocks cannot be related.
    #[error(
        "mic {mic} and ear {ear} cannot be paired: one is a virtual lab card and the other a \
         real one, and their clocks cannot be related; use two virtual:HOST:PORT endpoints or \
         two real ones"
    )]
    MixedEndpoints {
        /// The endpoint played into.
        mic: String,
        /// The endpoint recorded.
        ear: String,
    },
    /// Connecting to a sound card failed.
    #[error("cannot connect to sound card '{endpoint}': {source}")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading from or writing to a connected sound card failed.
    #[error("sound card '{endpoint}' stream failed: {source}")]
    Stream {
        /// The endpoint.
        endpoint: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The playback side of a play failed (a real card ran dry while playing); the
    /// recording made meanwhile is kept in `capture`, since it shows what the far end heard.
    #[error("{source}")]
    PlaybackFailed {
        /// Why the playback failed.
        source: Box<AudioError>,
        /// The reference as scheduled and the whole recording.
        capture: Box<crate::Capture>,
    },
    /// A sound card sent something that breaks the protocol.
    #[error("sound card '{endpoint}' protocol error: {detail}")]
    Protocol {
        /// The endpoint.
        endpoint: String,
        /// What was wrong.
        detail: String,
    },
    /// The sound server or audio system behind an endpoint cannot be reached.
    #[error("sound card '{endpoint}': {detail}")]
    HostUnavailable {
        /// The endpoint.
        endpoint: String,
        /// What could not be reached, and where it was looked for.
        detail: String,
    },
    /// The sound server has no device of that name (in the direction needed).
    #[error(
        "sound card '{endpoint}': no {kind} named '{name}'; available: {}",
        if available.is_empty() { "none".to_string() } else { available.join(", ") }
    )]
    NoSuchDevice {
        /// The endpoint.
        endpoint: String,
        /// What was looked for (`PulseAudio sink`, `PulseAudio source`, ...).
        kind: String,
        /// The device name asked for.
        name: String,
        /// The names of the devices of that kind that exist.
        available: Vec<String>,
    },
    /// The device accepts no stream configuration farend can use.
    #[error("sound card '{endpoint}': unsupported configuration: {detail}")]
    UnsupportedConfig {
        /// The endpoint.
        endpoint: String,
        /// What the device offers or refused.
        detail: String,
    },
    /// The operation did not finish in time.
    #[error("sound card '{endpoint}': timed out after {after:?}")]
    Timeout {
        /// The endpoint(s) involved.
        endpoint: String,
        /// The time limit that expired.
        after: Duration,
    },
    /// Arguments that cannot work (zero rate, empty reference, ...).
    #[error("invalid audio request: {0}")]
    Invalid(String),
}
