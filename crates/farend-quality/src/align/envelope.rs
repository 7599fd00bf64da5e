//! Energy envelopes on 4 ms blocks, the voice-activity threshold, and envelope
//! cross-correlation (P.862 §10.1.3.1; Rix et al., Part I, §3).

/// Block length: 4 ms.
pub fn block_len(rate: u32) -> usize {
    rate as usize / 250
}

/// Mean square of each whole block of `signal`.
pub fn block_energies(signal: &[f64], block: usize) -> Vec<f64> {
    signal
        .chunks_exact(block)
        .map(|c| c.iter().map(|v| v * v).sum::<f64>() / block as f64)
        .collect()
}

/// Voice-activity threshold of block energies: the noise level is estimated by repeatedly
/// averaging the blocks below the running estimate, and speech must exceed it clearly.
pub fn activity_threshold(energies: &[f64]) -> f64 {
    if energies.is_empty() {
        return 0.0;
    }
    let mean = energies.iter().sum::<f64>() / energies.len() as f64;
    let mut threshold = mean;
    for _ in 0..12 {
        let (sum, count) = energies
            .iter()
            .filter(|&&e| e <= threshold)
            .fold((0.0, 0usize), |(s, c), &e| (s + e, c + 1));
        if count == 0 {
            break;
        }
        let noise = sum / count as f64;
        let next = (noise * NOISE_MARGIN).max(mean * MIN_FRACTION_OF_MEAN);
        if (next - threshold).abs() <= 1e-12 * threshold.max(1.0) {
            break;
        }
        threshold = next;
    }
    threshold
}

/// Speech must be this much above the noise estimate (power ratio, 6 dB).
const NOISE_MARGIN: f64 = 4.0;
/// ... and at least this fraction of the mean block power (−30 dB).
const MIN_FRACTION_OF_MEAN: f64 = 1e-3;

/// Log-energy envelope above the threshold: log(E/θ) where E > θ, else 0.
pub fn log_envelope(energies: &[f64], threshold: f64) -> Vec<f64> {
    energies
        .iter()
        .map(|&e| {
            if e > threshold && threshold > 0.0 {
                (e / threshold).ln()
            } else {
                0.0
            }
        })
        .collect()
}

/// Lag (in blocks, degraded relative to reference) in `lags` maximising the cross-correlation
/// of the reference envelope over `span` with the degraded envelope; with its correlation.
pub fn best_lag(
    reference: &[f64],
    degraded: &[f64],
    span: std::ops::Range<usize>,
    lags: std::ops::RangeInclusive<isize>,
) -> Option<(isize, f64)> {
    let mut best: Option<(isize, f64)> = None;
    for lag in lags {
        let mut sum = 0.0;
        for k in span.clone() {
            let j = k as isize + lag;
            if j >= 0 && (j as usize) < degraded.len() {
                sum += reference[k] * degraded[j as usize];
            }
        }
        if best.is_none_or(|(_, s)| sum > s) {
            best = Some((lag, sum));
        }
    }
    best.filter(|(_, s)| *s > 0.0)
}

/// Lag (in blocks, within ±`max_lag`) maximising the cross-correlation of the whole envelopes,
/// with its correlation; by FFT, since the search spans the whole file.
pub fn best_lag_anywhere(
    reference: &[f64],
    degraded: &[f64],
    max_lag: isize,
) -> Option<(isize, f64)> {
    // Positive lags: degraded late. Shift the degraded envelope by max_lag so that every lag
    // is a non-negative index of one correlation.
    let pad = max_lag.max(0) as usize;
    let mut shifted = vec![0.0; pad];
    shifted.extend_from_slice(degraded);
    let out = crate::spectrum::cross_correlation(reference, &shifted, 2 * pad + 1);
    let mut best: Option<(isize, f64)> = None;
    for (k, &sum) in out.iter().enumerate() {
        if best.is_none_or(|(_, s)| sum > s + 1e-9 * s.abs().max(1.0)) {
            best = Some((k as isize - pad as isize, sum));
        }
    }
    best.filter(|(_, s)| *s > 0.0)
}
