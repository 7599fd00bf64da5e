//! Small real-FFT helpers shared by the alignment and the perceptual model.
//!
//! Plans and other per-size tables are kept per thread and reused across
//! scoring calls: planning a transform of a whole file costs as much as
//! running it, and a directory of pairs has the same few sizes throughout.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, FftNum, RealFftPlanner, RealToComplex};
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
    planner32: RealFftPlanner<f32>,
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

impl Ffts {
    /// Cross-correlation `y[k] = sum_m x1[m] x2[m + k - (n1 - 1)]`, k in 0..n1+n2-1.
    pub(crate) fn correlate(&mut self, x1: &[f64], x2: &[f64]) -> Vec<f64> {
        correlate(&mut self.planner, x1, x2)
    }

    /// [`Ffts::correlate`] computed in single precision, rounding noise included.
    pub(crate) fn correlate_f32(&mut self, x1: &[f64], x2: &[f64]) -> Vec<f64> {
        correlate(&mut self.planner32, x1, x2)
    }
}

/// Cross-correlation in precision `T`, through real transforms of twice the longer
/// input's power of two; the result is normalised and has n1 + n2 - 1 values.
fn correlate<T: FftNum + Into<f64>>(
    planner: &mut RealFftPlanner<T>,
    x1: &[f64],
    x2: &[f64],
) -> Vec<f64> {
    let (n1, n2) = (x1.len(), x2.len());
    if n1 == 0 || n2 == 0 {
        return Vec::new();
    }
    let size = 2 * next_pow2(n1.max(n2));
    let cast = |v: f64| T::from_f64(v).unwrap_or_else(T::zero);
    let mut a = vec![T::zero(); size];
    let mut b = vec![T::zero(); size];
    for (i, &v) in x1.iter().enumerate() {
        a[n1 - 1 - i] = cast(v);
    }
    for (i, &v) in x2.iter().enumerate() {
        b[i] = cast(v);
    }
    let fwd = planner.plan_fft_forward(size);
    let inv = planner.plan_fft_inverse(size);
    let mut fa = fwd.make_output_vec();
    let mut fb = fwd.make_output_vec();
    // Lengths are right by construction; the transforms cannot fail.
    let _ = fwd.process(&mut a, &mut fa);
    let _ = fwd.process(&mut b, &mut fb);
    for (p, q) in fa.iter_mut().zip(fb.iter()) {
        *p = *p * *q;
    }
    fa[0].im = T::zero();
    if let Some(last) = fa.last_mut() {
        last.im = T::zero();
    }
    let _ = inv.process(&mut fa, &mut a);
    let scale = 1.0 / size as f64;
    a[..n1 + n2 - 1].iter().map(|&v| v.into() * scale).collect()
}

/// Smallest power of two that is at least `n` (and at least 1).
pub(crate) fn next_pow2(n: usize) -> usize {
    n.max(1).next_power_of_two()
}
