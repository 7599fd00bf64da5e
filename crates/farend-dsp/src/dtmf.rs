//! DTMF (ITU-T Q.23 / Q.24): generator and receiver.
//!
//! Levels are per tone in dBov (ITU-T P.56: relative to the RMS of a full-scale square wave;
//! see [`crate::tone`]); `dBm0 = dBov + 6.15`.
//!
//! The receiver ([`detect_dtmf`]) meets the Q.24 / Bellcore receiver requirements: it operates
//! for each tone within ±1.5% of nominal and never at ±3.5% (decision at ±2.5%, measured to a
//! fraction of a hertz), on tones of 40 ms or more and never on 20 ms or less (decision at
//! 30 ms), separates digits by pauses of 50 ms and bridges dropouts shorter than 20 ms,
//! accepts 8 dB normal and 4 dB reverse twist (decisions at 10 and 6 dB), levels from −36 to
//! 0 dBm0 per tone (down to −42 dBm0) and a signal-to-noise ratio of 15 dB.
//!
//! It works in two stages. Stage one runs the eight Goertzel filters on 12.5 ms blocks (the
//! only per-sample work; on even blocks first, on their neighbours only after a hit) and keeps
//! runs of at least two blocks that look like the same digit.
//! Stage two, run only on those candidates, demodulates both tones with 10 ms Hann windows
//! every 1 ms, finds the tone edges at the half-amplitude points, and accepts the digit only
//! when both tones start and stop together (within 10 ms), last long enough, are within the
//! frequency, level and twist limits and carry at least 80% of the signal power. Talk-off
//! (speech or music taken for digits) is what the last checks remove.

use crate::tone::{add_sine, samples_for};

/// The four low-group (row) frequencies in Hz.
pub const ROW_FREQS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// The four high-group (column) frequencies in Hz.
pub const COL_FREQS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Digits laid out by row and column of the keypad.
pub const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Errors of the DTMF generator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// A character that is not a DTMF digit (0-9, A-D, *, #).
    #[error("'{0}' is not a DTMF digit (expected 0-9, A-D, * or #)")]
    InvalidDigit(char),
    /// The sample rate is zero.
    #[error("sample rate must be positive")]
    InvalidRate,
}

/// Row and column frequencies (low, high) of a digit; lowercase a-d accepted.
pub fn digit_freqs(digit: char) -> Option<(f64, f64)> {
    let d = digit.to_ascii_uppercase();
    for (r, row) in KEYPAD.iter().enumerate() {
        for (c, &k) in row.iter().enumerate() {
            if k == d {
                return Some((ROW_FREQS[r], COL_FREQS[c]));
            }
        }
    }
    None
}

/// Generates DTMF for `digits`: each digit is `tone_ms` of its two tones (each at `level_dbov`
/// dBov, P.56) followed by `pause_ms` of silence, the last digit included, so the result
/// lasts `digits.len() × (tone_ms + pause_ms)` ms. Lowercase `a`-`d` are accepted.
pub fn generate_dtmf(
    digits: &str,
    tone_ms: u32,
    pause_ms: u32,
    level_dbov: f64,
    rate: u32,
) -> Result<Vec<f32>, DtmfError> {
    generate_dtmf_twisted(digits, tone_ms, pause_ms, level_dbov, level_dbov, rate)
}

/// Like [`generate_dtmf`] with separate levels (dBov) for the low and the high tone (twist).
pub fn generate_dtmf_twisted(
    digits: &str,
    tone_ms: u32,
    pause_ms: u32,
    low_dbov: f64,
    high_dbov: f64,
    rate: u32,
) -> Result<Vec<f32>, DtmfError> {
    if rate == 0 {
        return Err(DtmfError::InvalidRate);
    }
    let pairs = digits
        .chars()
        .map(|c| digit_freqs(c).ok_or(DtmfError::InvalidDigit(c)))
        .collect::<Result<Vec<_>, _>>()?;
    let tone_n = samples_for(f64::from(tone_ms) / 1000.0, rate);
    let pause_n = samples_for(f64::from(pause_ms) / 1000.0, rate);
    let mut out = vec![0.0f32; pairs.len() * (tone_n + pause_n)];
    for (i, (lo, hi)) in pairs.into_iter().enumerate() {
        let start = i * (tone_n + pause_n);
        let seg = &mut out[start..start + tone_n];
        add_sine(seg, lo, low_dbov, rate);
        add_sine(seg, hi, high_dbov, rate);
    }
    Ok(out)
}

use crate::tone::{amplitude_to_dbov, dbov_to_dbm0, measure_sinusoid, resample::resample};
use serde::Serialize;

/// Analysis rate of the receiver; other rates are resampled to it.
pub const RECEIVER_RATE: u32 = 8000;
/// Stage-one block length at 8 kHz (12.5 ms).
const BLOCK: usize = 100;

/// One detected digit with its times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DtmfEvent {
    /// The digit: `0`-`9`, `A`-`D`, `*` or `#`.
    pub digit: char,
    /// Start of the tone pair in ms from the beginning of the input.
    pub start_ms: f64,
    /// End of the tone pair in ms from the beginning of the input.
    pub end_ms: f64,
    /// Measured low-group frequency in Hz.
    pub low_hz: f64,
    /// Measured high-group frequency in Hz.
    pub high_hz: f64,
    /// Level of the low-group tone in dBov.
    pub low_dbov: f64,
    /// Level of the high-group tone in dBov.
    pub high_dbov: f64,
}

/// What the receiver found in a recording.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DtmfResult {
    /// All detected digits in order.
    pub digits: String,
    /// One event per digit, in order.
    pub events: Vec<DtmfEvent>,
}

/// Acceptance limits of the receiver. The defaults follow ITU-T Q.24 and Bellcore
/// (operate within ±1.5%, reject at ±3.5%, ≥ 40 ms tones, 8 dB normal / 4 dB reverse twist,
/// −36…0 dBm0 per tone), with the decision points half-way between must and must-not.
#[derive(Debug, Clone, PartialEq)]
pub struct DtmfConfig {
    /// Largest accepted frequency deviation of each tone, as a fraction (0.025 = 2.5%).
    pub max_freq_dev: f64,
    /// Shortest accepted tone in ms (between the 20 ms must-reject and 40 ms must-accept).
    pub min_tone_ms: f64,
    /// Gaps shorter than this (ms) inside one tone pair are bridged.
    pub max_gap_ms: f64,
    /// Weakest accepted tone in dBm0.
    pub min_level_dbm0: f64,
    /// Largest accepted normal twist (high tone weaker than low), dB.
    pub max_normal_twist_db: f64,
    /// Largest accepted reverse twist (high tone stronger than low), dB.
    pub max_reverse_twist_db: f64,
    /// Smallest accepted share of the signal power carried by the two tones.
    pub min_purity: f64,
    /// Largest accepted difference (ms) between the onsets, and between the ends, of the two
    /// tones of a pair.
    pub max_skew_ms: f64,
}

impl Default for DtmfConfig {
    fn default() -> Self {
        Self {
            max_freq_dev: 0.025,
            min_tone_ms: 30.0,
            max_gap_ms: 20.0,
            min_level_dbm0: -42.0,
            max_normal_twist_db: 10.0,
            max_reverse_twist_db: 6.0,
            min_purity: 0.80,
            max_skew_ms: 10.0,
        }
    }
}

/// Detects DTMF digits in `samples` (−1.0..1.0) at `rate` with the default limits.
pub fn detect_dtmf(samples: &[f32], rate: u32) -> DtmfResult {
    detect_dtmf_with(samples, rate, &DtmfConfig::default())
}

/// Detects DTMF digits in 16-bit samples at `rate` with the default limits.
pub fn detect_dtmf_i16(samples: &[i16], rate: u32) -> DtmfResult {
    let f: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
    detect_dtmf(&f, rate)
}

/// Goertzel coefficients (2·cos ω) of the eight DTMF frequencies at 8 kHz.
fn coefficients() -> [f32; 8] {
    let mut c = [0.0f32; 8];
    for (i, f) in ROW_FREQS.iter().chain(COL_FREQS.iter()).enumerate() {
        c[i] = (2.0 * (std::f64::consts::TAU * f / f64::from(RECEIVER_RATE)).cos()) as f32;
    }
    c
}

/// Stage one: the digit index (row·4 + col) each block looks like, if any.
fn block_candidates(x: &[f32], cfg: &DtmfConfig) -> Vec<Option<u8>> {
    let coef = coefficients();
    let n = BLOCK as f32;
    // Tone power (A²/2) to Goertzel power: |X|² = (A·N/2)² = P·N²/2.
    let min_power =
        10f32.powf(((cfg.min_level_dbm0 - 6.0) + crate::tone::DBM0_TO_DBOV) as f32 / 10.0);
    let min_goertzel = min_power * n * n / 2.0;
    let min_energy = 2.0 * min_power * n;
    let digit = |block: &[f32]| -> Option<u8> {
        {
            let mut energy = 0.0f32;
            for &v in block {
                energy += v * v;
            }
            if energy < min_energy {
                return None;
            }
            let mut s1 = [0.0f32; 8];
            let mut s2 = [0.0f32; 8];
            for &v in block {
                for i in 0..8 {
                    let s0 = coef[i] * s1[i] - s2[i] + v;
                    s2[i] = s1[i];
                    s1[i] = s0;
                }
            }
            let mut p = [0.0f32; 8];
            for i in 0..8 {
                p[i] = s1[i] * s1[i] + s2[i] * s2[i] - coef[i] * s1[i] * s2[i];
            }
            let (r, pr) = argmax(&p[..4]);
            let (c, pc) = argmax(&p[4..]);
            if pr < min_goertzel || pc < min_goertzel {
                return None;
            }
            // Permissive twist window (stage two applies the real limits).
            let twist = pr / pc;
            if !(0.1..=16.0).contains(&twist) {
                return None;
            }
            // Both tones must dominate their group and carry most of the block energy.
            for (i, &q) in p[..4].iter().enumerate() {
                if i != r && q * 2.0 > pr {
                    return None;
                }
            }
            for (i, &q) in p[4..].iter().enumerate() {
                if i != c && q * 2.0 > pc {
                    return None;
                }
            }
            if 2.0 * (pr + pc) < 0.4 * n * energy {
                return None;
            }
            Some((r * 4 + c) as u8)
        }
    };
    // A digit needs two consecutive agreeing blocks, one of which has an even index: look at
    // the even blocks first and at the odd neighbours of a hit only.
    let blocks: Vec<&[f32]> = x.chunks_exact(BLOCK).collect();
    let mut out = vec![None; blocks.len()];
    let mut done = vec![false; blocks.len()];
    for k in (0..blocks.len()).step_by(2) {
        out[k] = digit(blocks[k]);
        done[k] = true;
        if out[k].is_some() {
            for m in [k.wrapping_sub(1), k + 1] {
                if m < blocks.len() && !done[m] {
                    out[m] = digit(blocks[m]);
                    done[m] = true;
                }
            }
        }
    }
    out
}

fn argmax(v: &[f32]) -> (usize, f32) {
    let mut best = (0, v[0]);
    for (i, &q) in v.iter().enumerate().skip(1) {
        if q > best.1 {
            best = (i, q);
        }
    }
    best
}

/// Detects DTMF digits in `samples` (−1.0..1.0) at `rate` with explicit limits.
///
/// Works at 8 kHz; other rates are resampled first. Stage one runs eight Goertzel filters on
/// 12.5 ms blocks and keeps runs of at least two agreeing blocks as candidates; stage two
/// measures each candidate precisely (tone edges from the half-amplitude points of the
/// demodulated envelopes, frequencies from phase advance, levels, twist and purity) and
/// accepts it only within the limits of `cfg`.
pub fn detect_dtmf_with(samples: &[f32], rate: u32, cfg: &DtmfConfig) -> DtmfResult {
    if rate < 4000 {
        return DtmfResult::default();
    }
    let x = resample(samples, rate, RECEIVER_RATE);
    let x: &[f32] = &x;
    let blocks = block_candidates(x, cfg);
    // Group runs of >= 2 agreeing blocks into regions, merging same-digit regions that touch.
    let mut regions: Vec<(u8, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let Some(d) = blocks[i] else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < blocks.len() && blocks[j] == Some(d) {
            j += 1;
        }
        if j - i >= 2 {
            let start = i.saturating_sub(1) * BLOCK;
            let end = ((j + 1) * BLOCK).min(x.len());
            match regions.last_mut() {
                Some(last) if last.0 == d && last.2 + BLOCK >= start => last.2 = end,
                _ => regions.push((d, start, end)),
            }
        }
        i = j;
    }
    let mut events = Vec::new();
    for (d, start, end) in regions {
        validate_region(x, d, start, end, cfg, &mut events);
    }
    events.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
    // Two candidates can describe the same stretch of audio; keep the first.
    let mut kept: Vec<DtmfEvent> = Vec::with_capacity(events.len());
    for e in events {
        if kept.last().is_some_and(|k| e.start_ms < k.end_ms) {
            continue;
        }
        kept.push(e);
    }
    DtmfResult {
        digits: kept.iter().map(|e| e.digit).collect(),
        events: kept,
    }
}

/// Envelope hop (1 ms at 8 kHz) and window (10 ms) of stage two.
const ENV_HOP: usize = 8;
const ENV_WIN: usize = 80;

/// Stage two: measures one candidate region and pushes the digits it really holds.
fn validate_region(
    x: &[f32],
    d: u8,
    start: usize,
    end: usize,
    cfg: &DtmfConfig,
    out: &mut Vec<DtmfEvent>,
) {
    let (r, c) = ((d / 4) as usize, (d % 4) as usize);
    let (f_lo, f_hi) = (ROW_FREQS[r], COL_FREQS[c]);
    // Pad by half a window so that frames can be centred on the first and last samples.
    let half = ENV_WIN / 2;
    let mut seg = vec![0.0f32; end - start + 2 * half];
    seg[half..half + end - start].copy_from_slice(&x[start..end]);
    if end - start < ENV_WIN * 2 {
        return;
    }
    let hann: Vec<f32> = (0..ENV_WIN)
        .map(|i| {
            let u = (i as f64 + 0.5) / ENV_WIN as f64;
            (0.5 - 0.5 * (std::f64::consts::TAU * u).cos()) as f32
        })
        .collect();
    let wsum: f64 = hann.iter().map(|&w| f64::from(w)).sum();
    let n_frames = (seg.len() - ENV_WIN) / ENV_HOP + 1;
    let mut a_lo = Vec::with_capacity(n_frames);
    let mut a_hi = Vec::with_capacity(n_frames);
    for k in 0..n_frames {
        let w = &seg[k * ENV_HOP..k * ENV_HOP + ENV_WIN];
        let (re, im) = crate::tone::correlate(w, f_lo, RECEIVER_RATE, Some(&hann));
        a_lo.push(2.0 * (re * re + im * im).sqrt() / wsum);
        let (re, im) = crate::tone::correlate(w, f_hi, RECEIVER_RATE, Some(&hann));
        a_hi.push(2.0 * (re * re + im * im).sqrt() / wsum);
    }
    let peak_lo = a_lo.iter().cloned().fold(0.0, f64::max);
    let peak_hi = a_hi.iter().cloned().fold(0.0, f64::max);
    // Steady amplitude: the median of the frames above a third of the peak.
    let steady = |a: &[f64], peak: f64| -> f64 {
        let mut v: Vec<f64> = a.iter().cloned().filter(|&q| q >= peak / 3.0).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(peak)
    };
    let (m_lo, m_hi) = (steady(&a_lo, peak_lo), steady(&a_hi, peak_hi));
    let on: Vec<bool> = (0..n_frames)
        .map(|k| a_lo[k] >= 0.5 * m_lo && a_hi[k] >= 0.5 * m_hi)
        .collect();
    // Frame k's window is centred on sample start + k·HOP of the input.
    let centre = |k: usize| start + k * ENV_HOP;
    let max_gap = (cfg.max_gap_ms * 8.0 / ENV_HOP as f64).round() as usize;
    // Runs of "on" frames (first, last) with gaps bridged, and the longest unbroken stretch.
    let mut runs: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut k = 0;
    while k < n_frames {
        if !on[k] {
            k += 1;
            continue;
        }
        let mut e = k;
        while e + 1 < n_frames && on[e + 1] {
            e += 1;
        }
        match runs.last_mut() {
            Some(last) if k - last.1 <= max_gap + 1 => {
                last.1 = e;
                if e - k > last.3 - last.2 {
                    (last.2, last.3) = (k, e);
                }
            }
            _ => runs.push((k, e, k, e)),
        }
        k = e + 1;
    }
    for (k0, k1, b0, b1) in runs {
        let (s, e) = (centre(k0), (centre(k1) + ENV_HOP).min(end));
        let dur_ms = (e - s) as f64 / 8.0;
        if dur_ms < cfg.min_tone_ms {
            continue;
        }
        // Both tones of a DTMF pair start and stop together; notes of music and speech
        // harmonics that merely overlap for a while do not.
        let walk_back = |a: &[f64], m: f64| {
            let mut k = k0;
            while k > 0 && a[k - 1] >= 0.5 * m {
                k -= 1;
            }
            k
        };
        let walk_fwd = |a: &[f64], m: f64| {
            let mut k = k1;
            while k + 1 < n_frames && a[k + 1] >= 0.5 * m {
                k += 1;
            }
            k
        };
        let max_skew = (cfg.max_skew_ms * 8.0 / ENV_HOP as f64).round() as usize;
        let skew_on = walk_back(&a_lo, m_lo).abs_diff(walk_back(&a_hi, m_hi));
        let skew_off = walk_fwd(&a_lo, m_lo).abs_diff(walk_fwd(&a_hi, m_hi));
        if skew_on > max_skew || skew_off > max_skew {
            continue;
        }
        // Measure on the interior of the longest unbroken stretch, away from its edges.
        let (bs, be) = (centre(b0), (centre(b1) + ENV_HOP).min(end));
        let trim = (be - bs) / 8;
        let body = &x[bs + trim..be - trim];
        let (Some((amp_lo, fl)), Some((amp_hi, fh))) = (
            measure_sinusoid(body, f_lo, RECEIVER_RATE),
            measure_sinusoid(body, f_hi, RECEIVER_RATE),
        ) else {
            continue;
        };
        if (fl - f_lo).abs() > cfg.max_freq_dev * f_lo
            || (fh - f_hi).abs() > cfg.max_freq_dev * f_hi
        {
            continue;
        }
        let (l_lo, l_hi) = (amplitude_to_dbov(amp_lo), amplitude_to_dbov(amp_hi));
        if dbov_to_dbm0(l_lo.min(l_hi)) < cfg.min_level_dbm0 {
            continue;
        }
        let twist = l_lo - l_hi;
        if twist > cfg.max_normal_twist_db || -twist > cfg.max_reverse_twist_db {
            continue;
        }
        let power: f64 = body
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
            / body.len() as f64;
        let tones = (amp_lo * amp_lo + amp_hi * amp_hi) / 2.0;
        if tones < cfg.min_purity * power {
            continue;
        }
        out.push(DtmfEvent {
            digit: KEYPAD[r][c],
            start_ms: s as f64 / 8.0,
            end_ms: e as f64 / 8.0,
            low_hz: fl,
            high_hz: fh,
            low_dbov: l_lo,
            high_dbov: l_hi,
        });
    }
}
