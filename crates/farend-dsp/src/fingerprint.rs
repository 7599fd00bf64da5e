//! Acoustic fingerprints for telephony: which reference a recording carries, and where.
//!
//! The fingerprint is a sub-band energy-difference code (in the family of Haitsma and
//! Kalker's): every 16 ms the 300–3000 Hz band of a 32 ms window is split into 33
//! mel-spaced sub-bands; band energies are smoothed over three frames (about 64 ms), and
//! each of 32 bits records whether the log-energy difference between neighbouring sub-bands
//! rose or fell over the last 32 ms. Log energies make the bits blind to level changes and
//! to any fixed frequency response of the path (codec, handset, line); differences over
//! time and frequency make them robust to noise and to narrowband codecs.
//!
//! Identification compares a query with every alignment of every reference by bit error
//! rate (BER): a screening pass scores all alignments on 16 query words, the best 2000
//! are rescored on every loud word, and the best alignment of the best references is
//! refined. Only bits that are reliable on both sides are compared: the 16 of each query
//! word and the 24 of each reference word with the largest energy differences (a noisy
//! reference has unreliable bits of its own), and only the query's loud frames count, which
//! keeps noise and concealed frame loss out of the comparison. The query is fingerprinted
//! at four sub-frame phases, so offsets come out at 4 ms steps, refined by interpolation to
//! about a millisecond.
//!
//! A match is accepted on either of two grounds, both over at least 85 % of the shorter of
//! query and reference, or over 5 s when that is less (and at least half of the shorter),
//! so that a recording holding most of a reference and then other audio is still named
//! (queries shorter than 1.5 s never match):
//!
//! - **close**: a BER of at most 0.36 overall and at most 0.40 in each third (a real match
//!   is good throughout; a word or two in common is not), at least 3 deviations below the
//!   best alignment of any other reference. On 3 s of AMR-NB 4.75 speech with frame loss and
//!   10 dB SNR the right alignment sits near 0.25; in a library of hundreds of short
//!   prompts, the best chance alignment of a 2 s query reaches 0.30–0.36, but does not
//!   stand out from the next. Audio that repeats within the matched reference needs no
//!   margin: the reference is right, only the offset is one of the repeats.
//! - **standing out**: when noise in the reference or on the path lifts the right
//!   alignment's BER towards 0.45, it is still far below every unrelated alignment (other
//!   references, or the same one more than a few frames away), whose chance BERs cluster
//!   together. The best alignment and the best few unrelated ones are scored alike over the
//!   best two thirds of the query's half-second windows (so a muted or destroyed part does
//!   not drown the rest); the match must beat them by 4.5 standard deviations of a chance
//!   BER, and at least half of the windows must match on their own. The deviation is
//!   measured for each query, from its BERs at 512 alignments spread over the library: how
//!   many bits of a word vary independently depends on the speech and the path.
//!
//! [`Identification::reason`] says which test failed when nothing matches.
//!
//! ```
//! use farend_dsp::fingerprint::{Index, identify};
//! let rate = 8000;
//! let reference: Vec<f32> = (0..rate as usize * 8)
//!     .map(|i| ((i as f32 * 0.37).sin() * (i as f32 * 0.0011).sin()) * 0.3)
//!     .collect();
//! let mut index = Index::new();
//! index.add("speech/demo", &reference, rate).unwrap();
//! let bytes = index.to_bytes();
//! let index = Index::from_bytes(&bytes).unwrap();
//! let id = identify(&index, &reference[rate as usize * 2..rate as usize * 5], rate);
//! assert_eq!(id.matched.as_deref(), Some("speech/demo"));
//! ```

mod index;
mod search;

pub use index::{FORMAT_VERSION, Index, IndexEntry, IndexError};
pub use search::{Alignment, Identification, IdentifyOptions, align, identify, identify_with};

use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Number of bits per fingerprint frame.
pub const BITS: usize = 32;
/// Time between fingerprint frames, in seconds.
pub const HOP_S: f64 = 0.016;
/// Length of the analysis window, in seconds.
pub const WINDOW_S: f64 = 0.032;
/// Lowest frequency the fingerprint looks at, in hertz.
pub const LOW_HZ: f64 = 300.0;
/// Highest frequency the fingerprint looks at, in hertz.
pub const HIGH_HZ: f64 = 3000.0;
/// Number of analysis frames whose band energies are summed (smoothing over time).
pub const SMOOTH: usize = 3;
/// Time difference, in frames, the bits compare (2 frames = 32 ms).
pub const LAG: usize = 2;
/// Bits per query word compared: the ones with the largest energy differences.
pub const QUERY_BITS: usize = 16;
/// Bits per reference word compared: the ones with the largest energy differences. A bit
/// whose energy difference is small in the reference flips as easily as in the query: a
/// reference that is itself noisy (a radio recording, a noisy room) has many, and
/// comparing only bits that are reliable on both sides keeps a true match's bit error
/// rate low while unrelated alignments stay at chance.
pub const REFERENCE_BITS: usize = 24;
/// Lowest sample rate the fingerprint accepts (the band must fit below Nyquist).
pub const MIN_RATE: u32 = 6400;
/// Highest sample rate the fingerprint accepts.
pub const MAX_RATE: u32 = 384_000;

/// Why audio could not be fingerprinted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    /// The sample rate is outside [`MIN_RATE`]..=[`MAX_RATE`].
    #[error("unsupported sample rate {0} Hz (need {MIN_RATE}..={MAX_RATE} Hz)")]
    UnsupportedRate(u32),
}

/// The fingerprint of one piece of audio: one 32-bit word per [`HOP_S`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Fingerprint words; word `n` describes the audio from `n * HOP_S` on.
    pub frames: Vec<u32>,
    /// Per-word mask of the bits worth comparing.
    pub masks: Vec<u32>,
    /// Per-word weight in 0..=255: low for frames that were silent or far below the
    /// loudest part (pauses, lost frames), which carry little information.
    pub weights: Vec<u8>,
}

impl Fingerprint {
    /// Duration covered by the fingerprint, in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames.len() as f64 * HOP_S
    }
}

/// A reusable fingerprint extractor for one sample rate (keeps its FFT plan and buffers).
pub struct Extractor {
    rate: u32,
    hop: f64,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    spectrum: Vec<realfft::num_complex::Complex<f32>>,
    scratch: Vec<realfft::num_complex::Complex<f32>>,
    /// (first bin, weights per bin) for each of the `BITS + 1` bands.
    bands: Vec<(usize, Vec<f32>)>,
}

impl std::fmt::Debug for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("rate", &self.rate)
            .finish()
    }
}

fn hz_to_mel(hz: f64) -> f64 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

fn mel_to_hz(mel: f64) -> f64 {
    700.0 * (10f64.powf(mel / 2595.0) - 1.0)
}

impl Extractor {
    /// Prepares an extractor for audio at `rate` Hz.
    pub fn new(rate: u32) -> Result<Self, FingerprintError> {
        if !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return Err(FingerprintError::UnsupportedRate(rate));
        }
        let win_len = ((WINDOW_S * f64::from(rate)).round() as usize).max(16);
        let n = win_len.next_power_of_two();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let window: Vec<f32> = (0..win_len)
            .map(|i| {
                let x = std::f64::consts::PI * 2.0 * (i as f64 + 0.5) / win_len as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        let bin_hz = f64::from(rate) / n as f64;
        let (m_lo, m_hi) = (hz_to_mel(LOW_HZ), hz_to_mel(HIGH_HZ));
        let edges: Vec<f64> = (0..=BITS + 1)
            .map(|b| mel_to_hz(m_lo + (m_hi - m_lo) * b as f64 / (BITS + 1) as f64))
            .collect();
        let bands = edges
            .windows(2)
            .map(|e| {
                let (lo, hi) = (e[0], e[1]);
                let first = ((lo / bin_hz - 0.5).floor().max(0.0)) as usize;
                let last = ((hi / bin_hz + 0.5).ceil() as usize).min(n / 2);
                let weights = (first..=last)
                    .map(|k| {
                        let (a, b) = ((k as f64 - 0.5) * bin_hz, (k as f64 + 0.5) * bin_hz);
                        let overlap = (b.min(hi) - a.max(lo)).max(0.0);
                        (overlap / bin_hz) as f32
                    })
                    .collect();
                (first, weights)
            })
            .collect();
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Ok(Self {
            rate,
            hop: HOP_S * f64::from(rate),
            window,
            input: vec![0.0; n],
            spectrum,
            scratch,
            fft,
            bands,
        })
    }

    /// The sample rate this extractor was made for.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Number of fingerprint words `len` samples give.
    pub fn frames_for(&self, len: usize) -> usize {
        let w = self.window.len();
        if len < w {
            return 0;
        }
        // Energy frames start at round(n * hop) and need `w` samples; words need two of them.
        let energy = ((len - w) as f64 / self.hop).floor() as usize + 1;
        energy.saturating_sub(1)
    }

    /// Log band energies of the frame starting at sample `start` of `x`, into `out`;
    /// returns the frame's total in-band energy.
    fn band_energies(&mut self, x: &[f32], start: usize, out: &mut [f32; BITS + 1]) -> f32 {
        let w = self.window.len();
        for ((dst, &s), &win) in self
            .input
            .iter_mut()
            .zip(&x[start..start + w])
            .zip(&self.window)
        {
            *dst = s * win;
        }
        // realfft uses its input as scratch space: the zero padding beyond the window must be
        // written again for every frame (rates whose window is not a power of two, such as
        // 11.025, 44.1 and 48 kHz, read it).
        self.input[w..].fill(0.0);
        // The FFT only fails on wrong buffer lengths, which `new` rules out.
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            out.fill(0.0);
            return 0.0;
        }
        let mut total = 0.0f32;
        for (dst, (first, weights)) in out.iter_mut().zip(&self.bands) {
            let e: f32 = self.spectrum[*first..*first + weights.len()]
                .iter()
                .zip(weights)
                .map(|(c, &wt)| (c.re * c.re + c.im * c.im) * wt)
                .sum();
            total += e;
            *dst = e;
        }
        total
    }

    /// Fingerprints `samples` (−1.0..1.0 at this extractor's rate).
    pub fn extract(&mut self, samples: &[f32]) -> Fingerprint {
        self.extract_masked(samples, BITS)
    }

    /// Fingerprints reference audio as an index keeps it: each word masked to its
    /// [`REFERENCE_BITS`] most reliable bits.
    pub fn reference(&mut self, samples: &[f32]) -> Fingerprint {
        self.extract_masked(samples, REFERENCE_BITS)
    }

    /// Fingerprints `samples` and marks, per word, the `keep` bits whose energy differences
    /// were largest (the others are the likeliest to flip under noise).
    pub fn extract_masked(&mut self, samples: &[f32], keep: usize) -> Fingerprint {
        let words = self.frames_for(samples.len());
        if words == 0 {
            return Fingerprint {
                frames: Vec::new(),
                masks: Vec::new(),
                weights: Vec::new(),
            };
        }
        let mut frames = Vec::with_capacity(words);
        let mut masks = Vec::with_capacity(words);
        let mut energies = Vec::with_capacity(words + 1);
        let mut raw: Vec<[f32; BITS + 1]> = Vec::with_capacity(words + 1);
        let mut totals = Vec::with_capacity(words + 1);
        let mut cur = [0f32; BITS + 1];
        for n in 0..=words {
            let start = (n as f64 * self.hop).round() as usize;
            let total = self.band_energies(samples, start, &mut cur);
            raw.push(cur);
            totals.push(total);
        }
        let logs = smoothed_logs(&raw);
        let lag = LAG;
        let mut strength = [0f32; BITS];
        for n in 1..=words {
            let cur = &logs[n];
            let prev = &logs[n.saturating_sub(lag)];
            let mut word = 0u32;
            for m in 0..BITS {
                let d = (cur[m] - cur[m + 1]) - (prev[m] - prev[m + 1]);
                word |= u32::from(d > 0.0) << m;
                strength[m] = d.abs();
            }
            let mut mask = u32::MAX;
            if keep < BITS {
                let mut sorted = strength;
                sorted.sort_by(|a, b| b.total_cmp(a));
                let cut = sorted[keep.max(1) - 1];
                mask = 0;
                for (m, &st) in strength.iter().enumerate() {
                    mask |= u32::from(st >= cut) << m;
                }
            }
            frames.push(word);
            masks.push(mask);
            energies.push(totals[n]);
        }
        let weights = frame_weights(&energies);
        Fingerprint {
            frames,
            masks,
            weights,
        }
    }
}

/// Log band energies summed over `SMOOTH` frames around each frame (one pass, one
/// allocation: long references make these arrays large).
fn smoothed_logs(raw: &[[f32; BITS + 1]]) -> Vec<[f32; BITS + 1]> {
    (0..raw.len())
        .map(|n| {
            let lo = n.saturating_sub(SMOOTH / 2);
            let hi = (lo + SMOOTH).min(raw.len());
            let mut acc = [0f32; BITS + 1];
            for r in &raw[lo..hi] {
                for (a, v) in acc.iter_mut().zip(r) {
                    *a += v;
                }
            }
            acc.map(log_energy)
        })
        .collect()
}

/// Log of a band energy; a floor far below any audible level keeps digital silence
/// finite and bit-stable.
fn log_energy(energy: f32) -> f32 {
    (energy + 1e-9).ln()
}

/// Weights frames by how far their energy is below the loud part of the signal: frames
/// within 30 dB of the 90th percentile weigh fully, frames 45 dB or more below weigh zero.
fn frame_weights(energies: &[f32]) -> Vec<u8> {
    if energies.is_empty() {
        return Vec::new();
    }
    let mut sorted: Vec<f32> = energies.to_vec();
    sorted.sort_by(f32::total_cmp);
    let loud = sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)].max(1e-12);
    energies
        .iter()
        .map(|&e| {
            let db = 10.0 * (e.max(1e-20) / loud).log10();
            let w = ((db + 45.0) / 15.0).clamp(0.0, 1.0);
            (w * 255.0).round() as u8
        })
        .collect()
}

/// Fingerprints `samples` (−1.0..1.0) at `rate` Hz.
pub fn extract(samples: &[f32], rate: u32) -> Result<Fingerprint, FingerprintError> {
    Ok(Extractor::new(rate)?.extract(samples))
}
