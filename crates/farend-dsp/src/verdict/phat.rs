//! Fine delay by generalised cross-correlation with phase transform (GCC-PHAT).

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

/// Longest stretch of reference used for the fine delay, in seconds.
const MAX_SPAN_S: f64 = 20.0;

/// A fine delay: lag in samples (fractional) and the height of the PHAT peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fine {
    /// Delay of the recording after the reference, in samples.
    pub lag: f64,
    /// Height of the whitened correlation peak, 0..1 (1 = identical phase in every bin).
    pub peak: f64,
}

/// Refines a coarse delay `center` (samples, recording later than reference) to a fraction
/// of a sample, searching `±max_dev` samples around it. Only 250–3500 Hz (and below 0.45 of
/// the rate) counts, where telephone speech has its energy.
pub(crate) fn gcc_phat(
    reference: &[f32],
    recording: &[f32],
    rate: u32,
    center: i64,
    max_dev: usize,
) -> Option<Fine> {
    // The reference stretch: the part whose recording counterpart exists.
    let r0 = (-center).max(0) as usize;
    let r1 = reference
        .len()
        .min((recording.len() as i64 - center).max(0) as usize);
    if r1 <= r0 + 64 {
        return None;
    }
    let span = (r1 - r0).min((MAX_SPAN_S * f64::from(rate)) as usize);
    let (r0, r1) = (r0, r0 + span);
    let n = (span + 2 * max_dev + 2).next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut a = vec![0f32; n];
    a[..span].copy_from_slice(&reference[r0..r1]);
    // The recording stretch the reference stretch would land on at `center`, with margin.
    let mut b = vec![0f32; n];
    for (i, v) in b.iter_mut().enumerate().take(span + 2 * max_dev) {
        let j = r0 as i64 + center - max_dev as i64 + i as i64;
        if (0..recording.len() as i64).contains(&j) {
            *v = recording[j as usize];
        }
    }
    let mut fa = fwd.make_output_vec();
    let mut fb = fwd.make_output_vec();
    fwd.process(&mut a, &mut fa).ok()?;
    fwd.process(&mut b, &mut fb).ok()?;
    let bin_hz = f64::from(rate) / n as f64;
    let hi_hz = 3500f64.min(0.45 * f64::from(rate));
    let mut cross: Vec<Complex<f32>> = fa
        .iter()
        .zip(&fb)
        .enumerate()
        .map(|(k, (x, y))| {
            let f = k as f64 * bin_hz;
            if !(250.0..=hi_hz).contains(&f) {
                return Complex::new(0.0, 0.0);
            }
            let c = x.conj() * y;
            let mag = c.norm();
            if mag > 1e-20 {
                c / mag
            } else {
                Complex::new(0.0, 0.0)
            }
        })
        .collect();
    let used = cross.iter().filter(|c| c.norm_sqr() > 0.0).count().max(1);
    let mut corr = vec![0f32; n];
    inv.process(&mut cross, &mut corr).ok()?;
    // corr[m] peaks at m = max_dev + (true lag − center).
    let scale = 1.0 / (2.0 * used as f64);
    let window = &corr[..=2 * max_dev];
    let (m, &peak) = window
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.total_cmp(y.1))?;
    let mut frac = 0.0;
    if m > 0 && m < 2 * max_dev {
        let (y0, y1, y2) = (
            f64::from(window[m - 1]),
            f64::from(peak),
            f64::from(window[m + 1]),
        );
        let denom = y0 - 2.0 * y1 + y2;
        if denom < 0.0 {
            frac = (0.5 * (y0 - y2) / denom).clamp(-0.5, 0.5);
        }
    }
    Some(Fine {
        lag: center as f64 + (m as f64 - max_dev as f64) + frac,
        peak: (f64::from(peak) * scale).clamp(0.0, 1.0),
    })
}
