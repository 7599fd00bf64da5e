//! Small real-FFT helpers shared by the alignment and the perceptual model.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::collections::HashMap;
use std::sync::Arc;

/// Caches forward/inverse real FFT plans by size (one per scoring call).
pub(crate) struct Ffts {
    planner: RealFftPlanner<f64>,
    fwd: HashMap<usize, Arc<dyn RealToComplex<f64>>>,
    inv: HashMap<usize, Arc<dyn ComplexToReal<f64>>>,
    scratch: Vec<Complex<f64>>,
}

impl Ffts {
    pub(crate) fn new() -> Self {
        Ffts {
            planner: RealFftPlanner::new(),
            fwd: HashMap::new(),
            inv: HashMap::new(),
            scratch: Vec::new(),
        }
    }

    /// Forward transform of `input` (length n, destroyed) into `out` (n/2+1 bins, unnormalised).
    pub(crate) fn forward(&mut self, input: &mut [f64], out: &mut Vec<Complex<f64>>) {
        let n = input.len();
        let plan = self
            .fwd
            .entry(n)
            .or_insert_with(|| self.planner.plan_fft_forward(n))
            .clone();
        out.resize(n / 2 + 1, Complex::new(0.0, 0.0));
        let need = plan.get_scratch_len();
        if self.scratch.len() < need {
            self.scratch.resize(need, Complex::new(0.0, 0.0));
        }
        // Lengths are right by construction; the transform cannot fail.
        let _ = plan.process_with_scratch(input, out, &mut self.scratch[..need]);
    }

    /// Inverse transform of `spec` (n/2+1 bins, destroyed) into `out` (length n), divided by n.
    pub(crate) fn inverse(&mut self, spec: &mut [Complex<f64>], out: &mut [f64]) {
        let n = out.len();
        let plan = self
            .inv
            .entry(n)
            .or_insert_with(|| self.planner.plan_fft_inverse(n))
            .clone();
        spec[0].im = 0.0;
        if let Some(last) = spec.last_mut() {
            last.im = 0.0;
        }
        let need = plan.get_scratch_len();
        if self.scratch.len() < need {
            self.scratch.resize(need, Complex::new(0.0, 0.0));
        }
        let _ = plan.process_with_scratch(spec, out, &mut self.scratch[..need]);
        let scale = 1.0 / n as f64;
        for v in out.iter_mut() {
            *v *= scale;
        }
    }
}

/// Smallest power of two that is at least `n` (and at least 1).
pub(crate) fn next_pow2(n: usize) -> usize {
    n.max(1).next_power_of_two()
}
