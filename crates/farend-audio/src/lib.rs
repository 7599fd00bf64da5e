//! Audio I/O for farend: PCM buffers, WAV files, resampling, the reference audio library
//! and sound cards.
//!
//! * [`Pcm`] is mono 16-bit audio at a sample rate; [`read_wav`] / [`write_wav`] move it
//!   to and from WAV files and [`resample`] converts its rate with a windowed-sinc filter.
//! * [`RefLibrary`] opens `audio-refs/manifest.toml` and loads references by name
//!   (`speech/en-f1`) at any rate, including generated ones (`tones/1000hz`,
//!   `tones/dtmf-123`).
//! * [`play_and_record`] plays a reference into one handset's microphone and records
//!   another handset's earpiece, sample-accurately, on the sound cards named by
//!   [`Endpoint`]s: `virtual:127.0.0.1:PORT` for the virtual lab, `pulseaudio:NAME` for a
//!   PulseAudio (or PipeWire) sink or source, `alsa:NAME` for an ALSA device.
//! * [`list_devices`] lists the PulseAudio and ALSA devices with their rates and channels.
//!
//! ```no_run
//! # async fn demo() -> Result<(), farend_audio::AudioError> {
//! use farend_audio::{Endpoint, RefLibrary, play_and_record};
//! use std::time::Duration;
//! let refs = RefLibrary::open("audio-refs")?;
//! let mic: Endpoint = "virtual:127.0.0.1:7001".parse()?;
//! let ear: Endpoint = "virtual:127.0.0.1:7012".parse()?;
//! let reference = refs.load("speech/en-f1", 16000)?;
//! let len = reference.samples.len() + 16000;
//! let capture = play_and_record(&mic, &ear, &reference, len, Duration::from_secs(30)).await?;
//! assert_eq!(capture.recording.samples.len(), len);
//! # Ok(()) }
//! ```

mod card;
mod cpal_card;
mod devices;
mod error;
mod pcm;
mod refs;

pub use card::{
    Capture, CaptureStream, Endpoint, PLAYBACK_LEAD_S, PlaybackStream, VirtualCapture,
    VirtualPlayback, check_pair, play_and_record, play_and_record_for, play_and_record_on, record,
    record_on,
};
pub use cpal_card::{CardEpoch, CpalCapture, CpalPlayback};
pub use devices::{Capabilities, DeviceInfo, HostDevices, list_devices};
pub use error::AudioError;
pub use pcm::{Pcm, decode_wav, read_wav, resample, write_wav};
pub use refs::{
    DTMF_LEAD_MS, DTMF_PAUSE_MS, DTMF_TONE_LEVEL_DBOV, DTMF_TONE_MS, RefInfo, RefLibrary,
    TONE_DURATION_S, TONE_LEVEL_DBOV,
};
