//! farend-codec: the speech codecs of farend's virtual network.
//!
//! Each codec encodes and decodes 20 ms frames of 16-bit linear PCM at its own rate:
//! G.711 A-law and μ-law (written here), G.722 at 64 kbit/s (SpanDSP), AMR-NB in its eight modes (opencore-amrnb),
//! AMR-WB in its nine modes (vo-amrwbenc encoder, opencore-amrwb decoder), GSM-FR (libgsm)
//! and Opus from narrowband to fullband (libopus through the `audiopus` crate).
//! Narrowband codecs run at 8 kHz, G.722 and AMR-WB at 16 kHz, Opus at 8 to 48 kHz by bandwidth.
//!
//! A [`CodecSpec`] names a codec and its mode (`"amr-wb:12.65".parse()`), knows its sample
//! rate, frame length and algorithmic delay, and builds a [`Codec`]: the encoder and
//! decoder state of one call direction. A lost frame is decoded with [`Codec::conceal`],
//! which runs the codec's own concealment (see each codec module for what that is).
//! [`transcode`] runs a whole signal through a codec, optionally losing frames, for tests
//! and analyzers:
//!
//! ```
//! use farend_codec::{CodecSpec, transcode};
//!
//! let spec: CodecSpec = "amr-nb:12.2".parse()?;
//! let tone: Vec<i16> = (0..8000)
//!     .map(|n| (8000.0 * (n as f64 * 0.3).sin()) as i16)
//!     .collect();
//! let decoded = transcode(&spec, &tone, spec.sample_rate(), &[10, 11])?;
//! assert_eq!(decoded.len(), tone.len());
//! # Ok::<(), farend_codec::CodecError>(())
//! ```
//!
//! EVS is not offered: there is no open codec package for it. [`CodecSpec`] is
//! `non_exhaustive`, so it can join the list. The crate's README lists
//! the system library behind each codec and its licence.

mod amr;
mod error;
#[allow(unsafe_code)]
mod ffi;
pub mod g711;
mod g722;
mod gsm;
mod opus;
mod spec;

pub use amr::{AmrNb, AmrWb};
pub use error::CodecError;
pub use g711::{G711ALaw, G711MuLaw};
pub use g722::G722;
pub use gsm::GsmFr;
pub use opus::Opus;
pub use spec::{AmrNbMode, AmrWbMode, CodecSpec, FRAME_MS, OpusBandwidth, OpusSettings};

/// A speech codec for one call direction: encoder state on the sending side, decoder
/// state on the receiving side, 20 ms frames of linear PCM at [`CodecSpec::sample_rate`].
pub trait Codec: Send {
    /// The codec and mode this instance runs.
    fn spec(&self) -> CodecSpec;
    /// Encodes exactly one frame ([`CodecSpec::frame_samples`] samples), appending the
    /// payload to `payload`.
    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError>;
    /// Decodes one frame's payload, appending one frame of samples to `pcm`.
    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError>;
    /// Stands in for a frame that never arrived: appends one frame of samples made by the
    /// codec's loss concealment.
    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError>;
}

impl CodecSpec {
    /// Creates a fresh encoder/decoder pair for this codec and mode.
    pub fn instantiate(&self) -> Result<Box<dyn Codec>, CodecError> {
        Ok(match *self {
            CodecSpec::G711ALaw => Box::new(G711ALaw),
            CodecSpec::G711MuLaw => Box::new(G711MuLaw),
            CodecSpec::G722 => Box::new(G722::new()?),
            CodecSpec::AmrNb(mode) => Box::new(AmrNb::new(mode)?),
            CodecSpec::AmrWb(mode) => Box::new(AmrWb::new(mode)?),
            CodecSpec::GsmFr => Box::new(GsmFr::new()?),
            CodecSpec::Opus(settings) => Box::new(Opus::new(settings)?),
        })
    }
}

/// Runs a whole signal through `spec`'s encoder and decoder, frame by frame, and returns
/// the decoded signal, as long as the input.
///
/// `rate` must be the codec's [`CodecSpec::sample_rate`]. The last partial frame is padded
/// with silence. Frames whose index (0-based, 20 ms each) is in `lost_frames` are not
/// decoded but concealed. The output lags the input by [`CodecSpec::algorithmic_delay`]
/// samples, as a real codec's does; the last samples of that lag are cut off.
pub fn transcode(
    spec: &CodecSpec,
    pcm: &[i16],
    rate: u32,
    lost_frames: &[usize],
) -> Result<Vec<i16>, CodecError> {
    if rate != spec.sample_rate() {
        return Err(CodecError::RateMismatch {
            codec: spec.name(),
            expected: spec.sample_rate(),
            got: rate,
        });
    }
    let mut codec = spec.instantiate()?;
    let frame = spec.frame_samples();
    let mut out = Vec::with_capacity(pcm.len() + frame);
    let mut payload = Vec::new();
    let mut padded = vec![0i16; frame];
    for (index, chunk) in pcm.chunks(frame).enumerate() {
        padded[..chunk.len()].copy_from_slice(chunk);
        padded[chunk.len()..].fill(0);
        payload.clear();
        codec.encode(&padded, &mut payload)?;
        if lost_frames.contains(&index) {
            codec.conceal(&mut out)?;
        } else {
            codec.decode(&payload, &mut out)?;
        }
    }
    out.truncate(pcm.len());
    Ok(out)
}

/// Checks that `pcm` is exactly one frame of `spec`.
fn check_frame_len(spec: &CodecSpec, pcm: &[i16]) -> Result<(), CodecError> {
    if pcm.len() == spec.frame_samples() {
        Ok(())
    } else {
        Err(CodecError::FrameLength {
            codec: spec.name(),
            expected: spec.frame_samples(),
            got: pcm.len(),
        })
    }
}

/// Views `pcm` as one frame of `N` samples, the fixed size a C codec library reads.
fn frame_array<'a, const N: usize>(
    spec: &CodecSpec,
    pcm: &'a [i16],
) -> Result<&'a [i16; N], CodecError> {
    check_frame_len(spec, pcm)?;
    pcm.try_into().map_err(|_| CodecError::FrameLength {
        codec: spec.name(),
        expected: N,
        got: pcm.len(),
    })
}

/// Views `payload` as one frame of `N` octets, the fixed size a codec with constant-size
/// frames reads; anything else is a decode error naming both sizes.
fn payload_array<'a, const N: usize>(
    spec: &CodecSpec,
    payload: &'a [u8],
) -> Result<&'a [u8; N], CodecError> {
    payload.try_into().map_err(|_| CodecError::Decode {
        codec: spec.name(),
        reason: format!("payload of {} bytes, a frame has {N}", payload.len()),
    })
}
