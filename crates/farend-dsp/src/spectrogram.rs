//! Short-time power spectra of a signal for display: level in dB per time column and
//! frequency row, with as many columns as a plot has room for.

use realfft::RealFftPlanner;

/// Analysis window: 32 ms, the frame of speech analysis, at any rate.
const WINDOW_S: f64 = 0.032;
/// Level given to a cell with no power at all (dB re full scale).
pub const FLOOR_DB: f32 = -120.0;

/// Levels in dB re full scale: `columns[t][f]`, `t` over time from the first sample, `f` over
/// frequency from 0 Hz to half the sample rate in `rows` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrogram {
    /// One column per time step; each holds `rows` levels, lowest frequency first.
    pub columns: Vec<Vec<f32>>,
    /// Seconds of signal between the starts of two columns.
    pub step_s: f64,
    /// Hertz covered by each row.
    pub row_hz: f64,
}

/// The spectrogram of `samples` at `rate` with at most `max_columns` columns of `rows` rows
/// each. A Hann window of 32 ms is placed at evenly spaced times; each row is the largest power
/// of the bins it covers, so narrow tones stay visible when rows are wide.
pub fn spectrogram(samples: &[f32], rate: u32, max_columns: usize, rows: usize) -> Spectrogram {
    let rows = rows.max(1);
    let len = ((WINDOW_S * f64::from(rate)) as usize)
        .next_power_of_two()
        .max(16);
    let count = max_columns.max(1);
    let step = (samples.len().saturating_sub(len) / count).max(1);
    let columns_n = if samples.len() < len {
        usize::from(!samples.is_empty())
    } else {
        ((samples.len() - len) / step + 1).min(count)
    };
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(len);
    let window: Vec<f32> = (0..len)
        .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / len as f64).cos()) as f32)
        .collect();
    // Full scale: a full-scale sine through this window peaks at (Σw / 2)².
    let full_scale = (window.iter().sum::<f32>() / 2.0).powi(2);
    let mut input = fft.make_input_vec();
    let mut output = fft.make_output_vec();
    let bins = output.len();
    let mut columns = Vec::with_capacity(columns_n);
    for c in 0..columns_n {
        let start = c * step;
        for (i, slot) in input.iter_mut().enumerate() {
            *slot = samples.get(start + i).copied().unwrap_or(0.0) * window[i];
        }
        // Lengths come from the plan, so the transform cannot fail.
        let _ = fft.process(&mut input, &mut output);
        let mut column = vec![0.0f32; rows];
        for (b, z) in output.iter().enumerate() {
            let row = (b * rows / bins).min(rows - 1);
            column[row] = column[row].max(z.norm_sqr());
        }
        for v in &mut column {
            *v = if *v > 0.0 {
                (10.0 * (*v / full_scale).log10()).max(FLOOR_DB)
            } else {
                FLOOR_DB
            };
        }
        columns.push(column);
    }
    Spectrogram {
        columns,
        step_s: step as f64 / f64::from(rate),
        row_hz: f64::from(rate) / 2.0 / rows as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lights_its_row_at_its_level_and_nothing_else() {
        let rate = 8000;
        let x: Vec<f32> = (0..rate * 2)
            .map(|n| 0.5 * (std::f32::consts::TAU * 1000.0 * n as f32 / rate as f32).sin())
            .collect();
        let s = spectrogram(&x, rate, 100, 64);
        assert_eq!(s.columns.len(), 100);
        assert!((s.row_hz - 62.5).abs() < 1e-9);
        let row = (1000.0 / s.row_hz) as usize;
        for column in &s.columns {
            let (peak, level) = column
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap();
            assert!(peak.abs_diff(row) <= 1, "peak row {peak}, tone row {row}");
            // A sine at half of full scale: −6 dB.
            assert!((level + 6.0).abs() < 0.5, "{level}");
            assert!(column[row + 8] < level - 50.0, "{}", column[row + 8]);
        }
    }

    #[test]
    fn silence_and_short_input_give_the_floor_or_nothing() {
        let s = spectrogram(&[0.0; 4000], 8000, 10, 8);
        assert!(s.columns.iter().flatten().all(|&v| v == FLOOR_DB));
        assert!(spectrogram(&[], 8000, 10, 8).columns.is_empty());
        assert_eq!(spectrogram(&[0.1; 100], 8000, 10, 8).columns.len(), 1);
    }
}
