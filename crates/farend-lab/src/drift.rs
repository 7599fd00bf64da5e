//! A sample-clock offset between two sound cards: the listening card reads the talking
//! card's samples at a rate `ppm` millionths off, so the delay between them drifts.
//!
//! A positive offset means the listening card's clock is slow: it falls behind, and the
//! delay grows by `ppm` microseconds every second. A negative offset means it runs ahead;
//! it starts with a backlog ([`Drift::margin_samples`]) so it has audio to read for
//! [`MARGIN_S`] seconds, after which it slips back by that backlog, as a real card's buffer
//! would under-run. Samples between the talking card's are read by windowed-sinc
//! interpolation, so speech and tones keep their spectrum.
//!
//! Written here rather than taken from a resampling crate (rubato serves the sound cards)
//! because the ground truth needs the exact input position of every played sample
//! ([`Drift::delay_samples`]), which a general resampler does not expose.

use std::collections::VecDeque;

/// Half the interpolation filter's length in samples; also the delay it adds.
pub const HALF_TAPS: usize = 16;
/// Seconds a card that runs ahead can read before it slips.
pub const MARGIN_S: f64 = 120.0;
/// Fractional positions the filter is tabulated at.
const PHASES: usize = 1024;

/// The drift stage of one way of a call.
#[derive(Debug, Clone)]
pub struct Drift {
    /// Input samples per output sample: 1 − ppm·10⁻⁶.
    step: f64,
    /// Input samples kept, from absolute index `first`.
    input: VecDeque<f64>,
    first: u64,
    /// Samples written so far.
    written: u64,
    /// Output samples produced so far.
    produced: u64,
    /// Absolute input position of the next output sample.
    position: f64,
    /// Where a card that runs ahead starts again after a slip (samples behind the input).
    margin: f64,
    /// Interpolation filter: `PHASES + 1` rows of `2 · HALF_TAPS` taps.
    table: Vec<f64>,
    /// Output samples at which the card slipped.
    slips: Vec<u64>,
}

impl Drift {
    /// A listening card `ppm` millionths slow (negative: fast) relative to the talking one,
    /// both at `rate` Hz.
    pub fn new(ppm: f64, rate: u32) -> Self {
        let margin = if ppm < 0.0 {
            // Less a hair, so that an exact product is not rounded up by its last bit.
            (-ppm * 1e-6 * MARGIN_S * f64::from(rate) - 1e-9).ceil()
        } else {
            0.0
        };
        Drift {
            step: 1.0 - ppm * 1e-6,
            input: VecDeque::new(),
            first: 0,
            written: 0,
            produced: 0,
            position: -(HALF_TAPS as f64) - margin,
            margin,
            table: table(),
            slips: Vec::new(),
        }
    }

    /// Input samples read per output sample: 1 − ppm·10⁻⁶.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// The backlog a card that runs ahead starts with, in samples (0 for a slow card).
    pub fn margin_samples(&self) -> f64 {
        self.margin
    }

    /// Delay the stage adds now, in samples: filter, backlog and the drift so far.
    pub fn delay_samples(&self) -> f64 {
        self.produced as f64 - self.position
    }

    /// Output samples at which a fast card ran out of backlog and slipped.
    pub fn slips(&self) -> &[u64] {
        &self.slips
    }

    /// Takes the talking card's samples; returns as many as the listening card plays in the
    /// same time.
    pub fn process(&mut self, samples: &[f64], out: &mut Vec<f64>) {
        self.input.extend(samples);
        self.written += samples.len() as u64;
        for _ in 0..samples.len() {
            // The filter needs HALF_TAPS samples after the position.
            let newest = self.written as f64 - HALF_TAPS as f64 - 1.0;
            if self.position > newest {
                self.slips.push(self.produced);
                self.position -= self.margin.max(1.0);
            }
            out.push(self.read(self.position));
            self.position += self.step;
            self.produced += 1;
        }
        // Keep what the filter can still reach.
        let keep_from = (self.position.floor() as i64 - HALF_TAPS as i64).max(0) as u64;
        while self.first < keep_from && !self.input.is_empty() {
            self.input.pop_front();
            self.first += 1;
        }
    }

    /// The input interpolated at absolute position `at` (zero before the first sample).
    fn read(&self, at: f64) -> f64 {
        let base = at.floor();
        let frac = at - base;
        let phase = (frac * PHASES as f64).round() as usize;
        let taps = &self.table[phase * 2 * HALF_TAPS..(phase + 1) * 2 * HALF_TAPS];
        let start = base as i64 - HALF_TAPS as i64 + 1;
        let mut sum = 0.0;
        for (k, tap) in taps.iter().enumerate() {
            let i = start + k as i64;
            if i < self.first as i64 {
                continue;
            }
            if let Some(x) = self.input.get((i - self.first as i64) as usize) {
                sum += x * tap;
            }
        }
        sum
    }
}

/// Windowed-sinc taps for every tabulated fractional position: row `p` holds the taps for
/// samples `floor - HALF_TAPS + 1 ..= floor + HALF_TAPS` at fraction `p / PHASES`.
fn table() -> Vec<f64> {
    let n = 2 * HALF_TAPS;
    let mut out = Vec::with_capacity((PHASES + 1) * n);
    for p in 0..=PHASES {
        let frac = p as f64 / PHASES as f64;
        let row: Vec<f64> = (0..n)
            .map(|k| {
                // Distance from the wanted position to tap k's sample.
                let t = (k as f64 - (HALF_TAPS as f64 - 1.0)) - frac;
                let sinc = if t.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
                };
                // Blackman window over ±HALF_TAPS.
                let x = (t / HALF_TAPS as f64 + 1.0) / 2.0;
                let w = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * x).cos()
                    + 0.08 * (4.0 * std::f64::consts::PI * x).cos();
                sinc * w.max(0.0)
            })
            .collect();
        let sum: f64 = row.iter().sum();
        out.extend(row.iter().map(|v| v / sum));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 10000.0 * (2.0 * std::f64::consts::PI * freq * i as f64 / rate).sin())
            .collect()
    }

    fn run(drift: &mut Drift, input: &[f64]) -> Vec<f64> {
        let mut out = Vec::new();
        for chunk in input.chunks(160) {
            drift.process(chunk, &mut out);
        }
        out
    }

    #[test]
    fn a_slow_card_falls_behind_by_ppm() {
        let (rate, freq, ppm) = (8000.0, 1000.0, 100.0);
        let x = tone(freq, rate, 8000 * 20);
        let mut d = Drift::new(ppm, 8000);
        let y = run(&mut d, &x);
        // Output sample n plays the talker's signal at n(1 - ppm/10^6) - HALF_TAPS.
        let worst = (8000..y.len())
            .map(|n| {
                let at = n as f64 * (1.0 - ppm * 1e-6) - HALF_TAPS as f64;
                (y[n] - 10000.0 * (2.0 * std::f64::consts::PI * freq * at / rate).sin()).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst < 30.0, "worst error {worst} of 10000");
        // 100 ppm over 20 s at 8 kHz: 16 samples more delay.
        assert!((d.delay_samples() - (HALF_TAPS as f64 + 16.0)).abs() < 0.01);
    }

    #[test]
    fn a_fast_card_starts_with_a_backlog_and_catches_up() {
        let mut d = Drift::new(-50.0, 16000);
        assert_eq!(d.margin_samples(), 96.0);
        let x = tone(1000.0, 16000.0, 16000 * 10);
        let y = run(&mut d, &x);
        assert_eq!(y.len(), x.len());
        // 50 ppm over 10 s at 16 kHz: 8 samples of the backlog used.
        let expected = HALF_TAPS as f64 + 96.0 - 8.0;
        assert!((d.delay_samples() - expected).abs() < 0.01);
        assert!(d.slips().is_empty());
    }

    #[test]
    fn a_tone_keeps_its_level() {
        let mut d = Drift::new(37.0, 8000);
        let x = tone(3400.0, 8000.0, 8000 * 5);
        let y = run(&mut d, &x);
        let rms = |v: &[f64]| (v.iter().map(|s| s * s).sum::<f64>() / v.len() as f64).sqrt();
        let ratio = rms(&y[8000..]) / rms(&x[8000..]);
        assert!((ratio - 1.0).abs() < 0.01, "ratio {ratio}");
    }
}
