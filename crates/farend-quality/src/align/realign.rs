//! Realignment of bad intervals (P.862 §10.1.3.4): where the perceptual model finds a run of
//! badly disturbed frames, the delay of that stretch is searched again by cross-correlating
//! it with the degraded signal, and the model is asked again with the new delay.

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
    let first = start as isize + around - search as isize;
    let window: Vec<f64> = (0..end - start + 2 * search)
        .map(|i| {
            let at = first + i as isize;
            if at >= 0 && (at as usize) < degraded.len() {
                degraded[at as usize]
            } else {
                0.0
            }
        })
        .collect();
    // out[k]: reference at `start` against degraded at `first + k`.
    let out = crate::spectrum::cross_correlation(&reference[start..end], &window, 2 * search + 1);
    let (k, value) =
        out.iter().enumerate().fold(
            (0, f64::MIN),
            |best, (k, &v)| if v > best.1 { (k, v) } else { best },
        );
    (value > 0.0).then(|| k as isize - search as isize + around)
}
