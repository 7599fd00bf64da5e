//! Small robust statistics shared by the analyzers: medians, straight-line and parabola fits.

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

/// Weighted least-squares parabola `y = c0 + c1·t + c2·t²` through `(t, y, weight)` points:
/// `[c0, c1, c2]`; `None` when the points do not fix one (fewer than three distinct
/// abscissae with weight). Centre `t` on the points for a well-conditioned solve.
pub(crate) fn fit_parabola(points: &[(f64, f64, f64)]) -> Option<[f64; 3]> {
    let mut m = [[0.0f64; 3]; 3];
    let mut v = [0.0f64; 3];
    for &(t, y, w) in points {
        let basis = [1.0, t, t * t];
        for i in 0..3 {
            v[i] += w * basis[i] * y;
            for j in 0..3 {
                m[i][j] += w * basis[i] * basis[j];
            }
        }
    }
    solve3(m, v)
}

/// Solves the 3×3 system `m·x = v` (Cramer's rule); `None` when it is singular.
fn solve3(m: [[f64; 3]; 3], v: [f64; 3]) -> Option<[f64; 3]> {
    let det = |a: [[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-300 || !d.is_finite() {
        return None;
    }
    let mut x = [0.0; 3];
    for (col, out) in x.iter_mut().enumerate() {
        let mut a = m;
        for row in 0..3 {
            a[row][col] = v[row];
        }
        *out = det(a) / d;
    }
    Some(x)
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

    #[test]
    fn a_weighted_parabola_is_recovered_and_zero_weights_are_ignored() {
        let mut points: Vec<(f64, f64, f64)> = (0..21)
            .map(|i| {
                let t = (i as f64 - 10.0) * 0.001;
                (t, 0.5 - 40.0 * t + 3000.0 * t * t, 1.0 + i as f64)
            })
            .collect();
        points[3].1 = 1e6;
        points[3].2 = 0.0;
        let [c0, c1, c2] = fit_parabola(&points).unwrap();
        assert!(
            (c0 - 0.5).abs() < 1e-9 && (c1 + 40.0).abs() < 1e-6,
            "{c0} {c1}"
        );
        assert!((c2 - 3000.0).abs() < 1e-3, "{c2}");
        assert_eq!(fit_parabola(&[(0.0, 1.0, 1.0), (1.0, 2.0, 1.0)]), None);
    }
}
