//! Small robust statistics shared by the analyzers: medians and straight-line fits.

/// Theil–Sen line through `points`: the median slope over all pairs, then the median
/// intercept; `None` for fewer than two distinct abscissae.
pub(crate) fn robust_line(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let mut slopes = Vec::new();
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            if b.0 != a.0 {
                slopes.push((b.1 - a.1) / (b.0 - a.0));
            }
        }
    }
    let slope = median(&mut slopes)?;
    let mut intercepts: Vec<f64> = points.iter().map(|p| p.1 - slope * p.0).collect();
    Some((slope, median(&mut intercepts)?))
}

/// The median of `values` (the upper of the two middle ones for an even count), sorting
/// them; `None` when there are none.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

/// Least-squares line through `points`: (slope, intercept); `None` for fewer than two
/// distinct abscissae.
pub(crate) fn fit_line(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_d = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut stt, mut std) = (0.0, 0.0);
    for &(t, d) in points {
        stt += (t - mean_t) * (t - mean_t);
        std += (t - mean_t) * (d - mean_d);
    }
    (stt > 0.0).then(|| (std / stt, mean_d - std / stt * mean_t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_robust_line_ignores_an_outlier_that_least_squares_follows() {
        let mut points: Vec<(f64, f64)> =
            (0..10).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        points[7].1 = 100.0;
        let (slope, intercept) = robust_line(&points).unwrap();
        assert!((slope - 2.0).abs() < 1e-12 && (intercept - 1.0).abs() < 1e-12);
        assert!(fit_line(&points).unwrap().0 > 3.0);
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 4.0]), Some(3.0));
        assert_eq!(median(&mut []), None);
    }
}
