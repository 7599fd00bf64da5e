//! Why a pair could not be scored.

/// Why a pair could not be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QualityError {
    /// A signal is shorter than the method can work with.
    #[error("{which} is {seconds:.2} s long; at least {min_seconds:.2} s are needed")]
    TooShort {
        /// "reference" or "degraded".
        which: &'static str,
        /// Its length in seconds.
        seconds: f64,
        /// The minimum length.
        min_seconds: f64,
    },
    /// The reference contains no speech utterance the alignment can use.
    #[error("the reference contains no speech utterance long enough to align (at least 100 ms)")]
    NoUtterances,
    /// The reference is silent or constant.
    #[error("the reference is silent")]
    SilentReference,
    /// The degraded signal is silent or constant.
    #[error("the degraded signal is silent")]
    SilentDegraded,
    /// The two signals were given at different sample rates.
    #[error("reference at {reference} Hz but degraded at {degraded} Hz")]
    MismatchedRates {
        /// Reference rate.
        reference: u32,
        /// Degraded rate.
        degraded: u32,
    },
    /// A sample rate the resampler cannot handle (zero or absurd).
    #[error("unsupported sample rate {0} Hz")]
    UnsupportedRate(u32),
    /// A sample is NaN or infinite.
    #[error("{which} sample {index} is not a finite number")]
    NonFinite {
        /// "reference" or "degraded".
        which: &'static str,
        /// Index of the first bad sample.
        index: usize,
    },
}
