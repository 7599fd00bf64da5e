//! Errors of the codec crate.

use thiserror::Error;

/// What can go wrong naming, building or running a codec.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The codec name is not one this crate knows.
    #[error("unknown codec `{0}` (known: g711a/pcma, g711u/pcmu, amr-nb, amr-wb, gsm-fr, opus)")]
    UnknownCodec(String),
    /// A codec parameter (mode, bitrate, bandwidth) is not valid for that codec.
    #[error("invalid {codec} parameter `{value}`: expected {expected}")]
    InvalidParameter {
        /// Codec family the parameter was given for.
        codec: &'static str,
        /// The parameter as written.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// PCM was handed over at a rate the codec does not run at.
    #[error("{codec} runs at {expected} Hz, got PCM at {got} Hz (resample first)")]
    RateMismatch {
        /// Codec name.
        codec: String,
        /// The codec's sample rate.
        expected: u32,
        /// The rate given.
        got: u32,
    },
    /// A frame of the wrong length was handed to the encoder.
    #[error("{codec} takes frames of {expected} samples, got {got}")]
    FrameLength {
        /// Codec name.
        codec: String,
        /// Samples per frame the codec takes.
        expected: usize,
        /// Samples given.
        got: usize,
    },
    /// The codec library could not create an encoder or decoder.
    #[error("{library} could not create its {what}")]
    Init {
        /// System library (or crate) that failed.
        library: &'static str,
        /// `encoder` or `decoder`.
        what: &'static str,
    },
    /// A codec library opened at run time could not be loaded.
    #[error("could not load {library} ({reason}); install the Debian package {package}")]
    Load {
        /// The library's file name.
        library: &'static str,
        /// The package that ships it.
        package: &'static str,
        /// What the loader said.
        reason: String,
    },
    /// The codec library refused to encode a frame.
    #[error("{codec} encoder failed: {reason}")]
    Encode {
        /// Codec name.
        codec: String,
        /// What the library said.
        reason: String,
    },
    /// The codec library refused a payload.
    #[error("{codec} decoder failed: {reason}")]
    Decode {
        /// Codec name.
        codec: String,
        /// What the library said, or what was wrong with the payload.
        reason: String,
    },
}
