//! Band-limited sample-rate conversion used to bring any input to the analysis rate.

use std::borrow::Cow;
use std::f64::consts::PI;

/// Zero crossings of the sinc kernel on each side of the centre.
const ZERO_CROSSINGS: f64 = 12.0;

/// Resamples `samples` from `from` Hz to `to` Hz with a Blackman-windowed sinc kernel whose
/// cutoff sits at 90% of the lower Nyquist frequency. Returns the input untouched when the
/// rates are equal, and an empty buffer when either rate is zero.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Cow<'_, [f32]> {
    if from == to {
        return Cow::Borrowed(samples);
    }
    if from == 0 || to == 0 || samples.is_empty() {
        return Cow::Owned(Vec::new());
    }
    let ratio = f64::from(from) / f64::from(to);
    // Cutoff in cycles per input sample.
    let fc = 0.45 * f64::from(from.min(to)) / f64::from(from);
    let half = (ZERO_CROSSINGS / (2.0 * fc)).ceil();
    let n_out = ((samples.len() as f64) / ratio).round() as usize;
    // The kernel tabulated at 1/64 of an input sample, read with linear interpolation.
    const STEPS: f64 = 64.0;
    let table_len = (2.0 * half * STEPS).ceil() as usize + 2;
    let table: Vec<f64> = (0..table_len)
        .map(|j| {
            let d = j as f64 / STEPS - half;
            if d.abs() > half {
                return 0.0;
            }
            let x = 2.0 * fc * d;
            let sinc = if x.abs() < 1e-12 {
                1.0
            } else {
                (PI * x).sin() / (PI * x)
            };
            let u = (d / half + 1.0) * 0.5; // 0..1 across the kernel
            let w = 0.42 - 0.5 * (2.0 * PI * u).cos() + 0.08 * (4.0 * PI * u).cos();
            2.0 * fc * sinc * w
        })
        .collect();
    let kernel = |d: f64| -> f64 {
        let pos = (d + half) * STEPS;
        let j = pos.floor();
        let frac = pos - j;
        let j = j as usize;
        match (table.get(j), table.get(j + 1)) {
            (Some(&a), Some(&b)) => a + (b - a) * frac,
            _ => 0.0,
        }
    };
    let last = samples.len() as i64 - 1;
    let mut out = Vec::with_capacity(n_out);
    for m in 0..n_out {
        let t = m as f64 * ratio;
        let lo = ((t - half).ceil() as i64).max(0);
        let hi = ((t + half).floor() as i64).min(last);
        let mut acc = 0.0f64;
        let mut i = lo;
        while i <= hi {
            acc += f64::from(samples[i as usize]) * kernel(i as f64 - t);
            i += 1;
        }
        out.push(acc as f32);
    }
    Cow::Owned(out)
}
