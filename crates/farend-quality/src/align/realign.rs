//! Realignment of bad intervals (P.862 §10.1.3.4): where the perceptual model finds a run of
//! badly disturbed frames, the delay of that stretch is searched again by cross-correlating
//! it with the degraded signal, and the model is asked again with the new delay.

use realfft::RealFftPlanner;

/// Frames whose symmetric disturbance exceeds this start a bad interval.
pub const BAD_FRAME_DISTURBANCE: f64 = 20.0;
/// Search range around the frame's delay: 300 ms.
pub const SEARCH_MS: usize = 300;

/// Runs of consecutive bad frames, as frame ranges.
pub fn bad_intervals(symmetric: &[f64]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut n = 0;
    while n < symmetric.len() {
        if symmetric[n] <= BAD_FRAME_DISTURBANCE {
            n += 1;
            continue;
        }
        let start = n;
        while n < symmetric.len() && symmetric[n] > BAD_FRAME_DISTURBANCE {
            n += 1;
        }
        out.push(start..n);
    }
    out
}

/// Delay of reference samples `start..end` in `degraded` within ±`search` of `around`, by
/// cross-correlation; `None` when nothing correlates.
pub fn best_delay(
    reference: &[f64],
    degraded: &[f64],
    start: usize,
    end: usize,
    around: isize,
    search: usize,
) -> Option<isize> {
    let end = end.min(reference.len());
    if end <= start {
        return None;
    }
    let seg = end - start;
    let span = seg + 2 * search;
    let len = (seg + span).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(len);
    let inverse = planner.plan_fft_inverse(len);
    let mut a = vec![0.0; len];
    a[..seg].copy_from_slice(&reference[start..end]);
    let mut b = vec![0.0; len];
    let first = start as isize + around - search as isize;
    for (i, slot) in b.iter_mut().take(span).enumerate() {
        let at = first + i as isize;
        if at >= 0 && (at as usize) < degraded.len() {
            *slot = degraded[at as usize];
        }
    }
    let mut fa = forward.make_output_vec();
    let mut fb = forward.make_output_vec();
    forward.process(&mut a, &mut fa).ok()?;
    forward.process(&mut b, &mut fb).ok()?;
    for (x, y) in fa.iter_mut().zip(&fb) {
        *x = x.conj() * y;
    }
    let last = fa.len() - 1;
    fa[0].im = 0.0;
    fa[last].im = 0.0;
    let mut out = inverse.make_output_vec();
    inverse.process(&mut fa, &mut out).ok()?;
    // out[k] = sum a[i] b[i + k]: reference at `start` against degraded at `first + k`.
    let (k, value) = out[..=2 * search]
        .iter()
        .enumerate()
        .fold(
            (0, f64::MIN),
            |best, (k, &v)| if v > best.1 { (k, v) } else { best },
        );
    (value > 0.0).then(|| k as isize - search as isize + around)
}
