//! Linear cross-correlation by FFT: the one implementation behind every analysis that looks
//! for the lag at which two signals line up (the delay estimate here, the quality scorer's
//! envelope and bad-interval searches).
//!
//! ```
//! let a = [0.0, 1.0, 2.0, 0.0];
//! let b = [0.0, 0.0, 0.0, 1.0, 2.0, 0.0];
//! let c = farend_dsp::correlation::cross_correlation(&a, &b);
//! assert!((c[2] - 5.0).abs() < 1e-9); // b holds a two samples later
//! ```

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;
use std::cell::RefCell;

thread_local! {
    /// Plans are kept per thread: planning a transform costs more than running it once,
    /// and the quality scorer correlates many stretches of the same length.
    static PLANNER: RefCell<RealFftPlanner<f64>> = RefCell::new(RealFftPlanner::new());
}

/// `c[k] = Σ a[n] · b[n + k]` (samples of any type that widens to `f64`), zero-padded so that
/// it is linear: lags `k ≥ 0` at index `k`, negative lags at index `c.len() + k`. The length
/// is a power of two of at least `a.len() + b.len()`, so every lag at which the two overlap
/// has its own index.
pub fn cross_correlation<T: Copy + Into<f64>>(a: &[T], b: &[T]) -> Vec<f64> {
    let len = (a.len() + b.len()).next_power_of_two().max(2);
    let (forward, inverse) = PLANNER.with(|p| {
        let mut p = p.borrow_mut();
        (p.plan_fft_forward(len), p.plan_fft_inverse(len))
    });
    let mut x = forward.make_input_vec();
    for (slot, &v) in x.iter_mut().zip(a) {
        *slot = v.into();
    }
    let mut y = forward.make_input_vec();
    for (slot, &v) in y.iter_mut().zip(b) {
        *slot = v.into();
    }
    let mut fx = forward.make_output_vec();
    let mut fy = forward.make_output_vec();
    // Lengths come from the plan's own vectors, so the transforms cannot fail.
    let _ = forward.process(&mut x, &mut fx);
    let _ = forward.process(&mut y, &mut fy);
    let scale = 1.0 / len as f64;
    for (p, q) in fx.iter_mut().zip(&fy) {
        *p = p.conj() * q * scale;
    }
    let last = fx.len() - 1;
    fx[0] = Complex::new(fx[0].re, 0.0);
    fx[last] = Complex::new(fx[last].re, 0.0);
    let mut out = inverse.make_output_vec();
    let _ = inverse.process(&mut fx, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lag_equals_the_direct_sum() {
        let a: Vec<f64> = (0..37).map(|i| ((i * 7919) % 23) as f64 - 11.0).collect();
        let b: Vec<f64> = (0..53)
            .map(|i| ((i * 104_729) % 31) as f64 - 15.0)
            .collect();
        let c = cross_correlation(&a, &b);
        let direct = |k: isize| -> f64 {
            (0..a.len() as isize)
                .filter(|&n| n + k >= 0 && ((n + k) as usize) < b.len())
                .map(|n| a[n as usize] * b[(n + k) as usize])
                .sum()
        };
        for k in -(a.len() as isize - 1)..b.len() as isize {
            let got = c[k.rem_euclid(c.len() as isize) as usize];
            assert!(
                (got - direct(k)).abs() < 1e-9,
                "lag {k}: {got} vs {}",
                direct(k)
            );
        }
    }
}
