//! Small real-FFT helpers shared by the alignment and the perceptual model.
//!
//! Plans and other per-size tables are kept per thread and reused across
//! scoring calls: planning a transform of a whole file costs as much as
//! running it, and a directory of pairs has the same few sizes throughout.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Caches forward/inverse real FFT plans and derived tables by size.
pub(crate) struct Ffts {
    planner: RealFftPlanner<f64>,
    fwd: HashMap<usize, Arc<dyn RealToComplex<f64>>>,
    inv: HashMap<usize, Arc<dyn ComplexToReal<f64>>>,
    scratch: Vec<Complex<f64>>,
    /// Single-precision planner, for the computations the reference does in `f32`.
    pub planner32: RealFftPlanner<f32>,
    tables: HashMap<(&'static str, usize, i64), Arc<[f64]>>,
}

thread_local! {
    static FFTS: RefCell<Option<Ffts>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's FFT cache.
pub(crate) fn with_ffts<R>(f: impl FnOnce(&mut Ffts) -> R) -> R {
    FFTS.with(|cell| {
        let mut slot = cell.borrow_mut();
        f(slot.get_or_insert_with(Ffts::new))
    })
}

impl Ffts {
    pub(crate) fn new() -> Self {
        Ffts {
            planner: RealFftPlanner::new(),
            fwd: HashMap::new(),
            inv: HashMap::new(),
            scratch: Vec::new(),
            planner32: RealFftPlanner::new(),
            tables: HashMap::new(),
        }
    }

    /// A table named `name` for transform size `size` and parameter `param`,
    /// built by `make` the first time it is asked for.
    pub(crate) fn table(
        &mut self,
        name: &'static str,
        size: usize,
        param: i64,
        make: impl FnOnce() -> Vec<f64>,
    ) -> Arc<[f64]> {
        self.tables
            .entry((name, size, param))
            .or_insert_with(|| make().into())
            .clone()
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
