//! Single tones and tone patterns: generators and detectors.
//!
//! [`generate_tone`], [`generate_noise`] and [`TonePattern::generate`] build test signals;
//! [`detect_tones`] returns every steady tone segment (frequency within ±0.5% and edges within
//! ±10 ms on clean input, level, components of dual tones) and [`match_pattern`] finds a
//! pattern such as "1 kHz for 2 s, 1 s silence, three times" in them with tolerances.
//! Voiced speech and played notes (a fundamental below 500 Hz with its octave) are not
//! reported as tones.
//!
//! Levels are given in dBov as defined by ITU-T P.56: decibels relative to the RMS of a
//! full-scale square wave (RMS 1.0 for samples in −1.0..1.0). A full-scale sine is therefore
//! −3.01 dBov, and a sine of level `L` dBov has peak amplitude `√2 · 10^(L/20)`.
//! For G.711 the digital milliwatt (0 dBm0) sits 3.14 dB below a full-scale sine (A-law), so
//! `dBov = dBm0 + DBM0_TO_DBOV` with [`DBM0_TO_DBOV`] = −6.15.

pub mod detect;
pub mod music;
pub mod pattern;

pub use detect::{ToneComponent, ToneConfig, ToneSegment, detect_tones, detect_tones_with};
pub use pattern::{PatternMatch, PatternStep, PatternTolerance, TonePattern, match_pattern};

/// Offset to add to a level in dBm0 to obtain dBov (G.711 A-law overload point +3.14 dBm0).
pub const DBM0_TO_DBOV: f64 = -6.15;

/// Peak amplitude of a sine whose RMS level is `level_dbov` dBov (see the module docs).
pub fn sine_amplitude(level_dbov: f64) -> f64 {
    std::f64::consts::SQRT_2 * 10f64.powf(level_dbov / 20.0)
}

/// Converts a level in dBm0 to dBov.
pub fn dbm0_to_dbov(level_dbm0: f64) -> f64 {
    level_dbm0 + DBM0_TO_DBOV
}

/// Converts a level in dBov to dBm0.
pub fn dbov_to_dbm0(level_dbov: f64) -> f64 {
    level_dbov - DBM0_TO_DBOV
}

/// Number of samples in `duration_s` seconds at `rate` (rounded; 0 for bad input).
pub(crate) fn samples_for(duration_s: f64, rate: u32) -> usize {
    if !duration_s.is_finite() || duration_s <= 0.0 || rate == 0 {
        return 0;
    }
    (duration_s * f64::from(rate)).round() as usize
}

/// Adds a sine of `freq_hz` at `level_dbov` to `out`, starting at phase 0 at `out[0]`.
pub(crate) fn add_sine(out: &mut [f32], freq_hz: f64, level_dbov: f64, rate: u32) {
    if rate == 0 || !freq_hz.is_finite() || !level_dbov.is_finite() {
        return;
    }
    let amp = sine_amplitude(level_dbov);
    let w = std::f64::consts::TAU * freq_hz / f64::from(rate);
    // Recomputing the phase from the index keeps long tones free of drift.
    for (i, s) in out.iter_mut().enumerate() {
        *s += (amp * (w * i as f64).sin()) as f32;
    }
}

/// Generates a sine of `freq_hz` at `level_dbov` (P.56 dBov, see module docs) lasting
/// `duration_s` seconds at `rate` samples per second, starting at phase 0, without ramps.
///
/// Samples are not clipped: levels above −3.01 dBov exceed ±1.0. Bad input (zero rate,
/// non-finite or negative duration) yields an empty vector.
pub fn generate_tone(freq_hz: f64, level_dbov: f64, duration_s: f64, rate: u32) -> Vec<f32> {
    let mut out = vec![0.0f32; samples_for(duration_s, rate)];
    add_sine(&mut out, freq_hz, level_dbov, rate);
    out
}

/// Correlates `x` with a complex exponential at `freq_hz`, weighting by `window` when given
/// (same length as `x`). Returns the complex sum (re, im).
pub(crate) fn correlate(x: &[f32], freq_hz: f64, rate: u32, window: Option<&[f32]>) -> (f64, f64) {
    let w = std::f64::consts::TAU * freq_hz / f64::from(rate.max(1));
    let (sw, cw) = w.sin_cos();
    // Rotating phasor, renormalised periodically to stay on the unit circle.
    let (mut c, mut s) = (1.0f64, 0.0f64);
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (i, &v) in x.iter().enumerate() {
        let v = f64::from(v) * window.map_or(1.0, |win| f64::from(win[i]));
        re += v * c;
        im -= v * s;
        let nc = c * cw - s * sw;
        s = s * cw + c * sw;
        c = nc;
        if i & 255 == 255 {
            let norm = (c * c + s * s).sqrt();
            c /= norm;
            s /= norm;
        }
    }
    (re, im)
}

/// `x` (radians) wrapped into −π…π.
pub(crate) fn wrap_phase(x: f64) -> f64 {
    x - std::f64::consts::TAU * (x / std::f64::consts::TAU).round()
}

/// Amplitude and precise frequency of a steady sinusoid near `freq_hz` in `x`.
///
/// The frequency comes from the phase advance between consecutive Hann-windowed analysis
/// windows (first at a short lag, then refined at a lag of one window length), so it is
/// accurate to a fraction of a hertz on clean input. Returns `None` when `x` is too short.
pub(crate) fn measure_sinusoid(x: &[f32], freq_hz: f64, rate: u32) -> Option<(f64, f64)> {
    let fs = f64::from(rate);
    let win_len = ((fs * 0.010).round() as usize).max(16);
    if x.len() < win_len * 2 {
        return None;
    }
    let hann: Vec<f32> = (0..win_len)
        .map(|i| {
            let u = (i as f64 + 0.5) / win_len as f64;
            (0.5 - 0.5 * (std::f64::consts::TAU * u).cos()) as f32
        })
        .collect();
    let short_hop = (win_len / 10).max(1);
    let frames: Vec<(f64, f64)> = (0..=(x.len() - win_len) / short_hop)
        .map(|k| {
            correlate(
                &x[k * short_hop..k * short_hop + win_len],
                freq_hz,
                rate,
                Some(&hann),
            )
        })
        .collect();
    let lagged = |lag: usize| -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for k in 0..frames.len().saturating_sub(lag) {
            let (ar, ai) = frames[k];
            let (br, bi) = frames[k + lag];
            // b * conj(a)
            re += br * ar + bi * ai;
            im += bi * ar - br * ai;
        }
        // Each window is demodulated from its own start: remove the nominal advance.
        let nominal = std::f64::consts::TAU * freq_hz * (lag * short_hop) as f64 / fs;
        let d = im.atan2(re) - nominal;
        wrap_phase(d)
    };
    let coarse = lagged(1) * fs / (std::f64::consts::TAU * short_hop as f64);
    let long_lag = win_len / short_hop;
    let mut dev = coarse;
    if frames.len() > long_lag + 2 {
        let period = fs / (long_lag * short_hop) as f64;
        let fine = lagged(long_lag) * fs / (std::f64::consts::TAU * (long_lag * short_hop) as f64);
        let k = ((coarse - fine) / period).round();
        dev = fine + k * period;
    }
    let f = freq_hz + dev;
    let (re, im) = correlate(x, f, rate, None);
    let amp = 2.0 * (re * re + im * im).sqrt() / x.len() as f64;
    Some((amp, f))
}

/// Level in dBov of a sine of peak amplitude `amp` (the inverse of [`sine_amplitude`]).
pub fn amplitude_to_dbov(amp: f64) -> f64 {
    20.0 * (amp.max(1e-12) / std::f64::consts::SQRT_2).log10()
}

/// Generates white Gaussian noise of RMS level `level_dbov` (P.56 dBov) lasting `duration_s`
/// seconds at `rate`, reproducible from `seed` (xorshift generator, Box–Muller transform).
pub fn generate_noise(level_dbov: f64, duration_s: f64, rate: u32, seed: u64) -> Vec<f32> {
    let n = samples_for(duration_s, rate);
    let sigma = 10f64.powf(level_dbov / 20.0);
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    if state == 0 {
        state = 1;
    }
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // 53 random bits in (0, 1].
        ((state >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    };
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        let (u1, u2) = (next(), next());
        let r = (-2.0 * u1.ln()).sqrt() * sigma;
        let t = std::f64::consts::TAU * u2;
        out.push((r * t.cos()) as f32);
        out.push((r * t.sin()) as f32);
    }
    out.truncate(n);
    out
}
