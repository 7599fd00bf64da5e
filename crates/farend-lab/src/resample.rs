//! Streaming rational resampling between a sound card's rate and a codec's rate, with an
//! exactly known delay.
//!
//! Written here rather than taken from rubato (which serves the real sound cards) for the
//! same reason as [`crate::drift`]: the ground truth needs the exact delay every path adds,
//! in whole card samples. One linear-phase FIR low-pass (windowed sinc, Blackman window)
//! runs at the two rates' least common multiple; its group delay is its half length there.

use std::collections::VecDeque;

/// Half length of the FIR, at the intermediate rate, when that rate is twice the lower of
/// the two rates (16 kHz cards with 8 kHz codecs); other pairs scale it to keep the same
/// transition band.
const BASE_HALF_LEN: usize = 32;
/// Pass band edge as a fraction of the lower rate (3.7 kHz for 8 kHz).
const CUTOFF_OF_LOWER_RATE: f64 = 0.4625;

/// Designs a linear-phase low-pass FIR of `2 × half_len + 1` taps with its cut-off at
/// `cutoff` (a fraction of the sample rate), unity gain at DC.
pub fn design_lowpass(half_len: usize, cutoff: f64) -> Vec<f64> {
    let n = 2 * half_len + 1;
    let tau = 2.0 * std::f64::consts::PI;
    let mut h: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 - half_len as f64;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (tau * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let phase = i as f64 / (n - 1) as f64;
            let window = 0.42 - 0.5 * (tau * phase).cos() + 0.08 * (2.0 * tau * phase).cos();
            sinc * window
        })
        .collect();
    let sum: f64 = h.iter().sum();
    for v in &mut h {
        *v /= sum;
    }
    h
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The filter both resamplers between two rates share: its taps and the rates.
#[derive(Debug, Clone)]
pub struct RatePair {
    card: u32,
    codec: u32,
    intermediate: u32,
    taps: Vec<f64>,
}

impl RatePair {
    /// The filter for a card at `card` Hz carrying a codec at `codec` Hz; `None` when the
    /// rates are equal (no resampling).
    pub fn new(card: u32, codec: u32) -> Option<Self> {
        if card == codec || card == 0 || codec == 0 {
            return None;
        }
        let intermediate = card / gcd(card, codec) * codec;
        let lower = card.min(codec);
        let card_factor = (intermediate / card) as usize;
        // The transition band in Hz stays that of the 16/8 kHz pair; the half length is
        // rounded up to a multiple of the card's upsampling factor so that the two
        // filters' delay is a whole number of card samples.
        let scaled = BASE_HALF_LEN * intermediate as usize / (2 * lower as usize);
        let half_len = scaled.div_ceil(card_factor) * card_factor;
        let cutoff = CUTOFF_OF_LOWER_RATE * f64::from(lower) / f64::from(intermediate);
        Some(RatePair {
            card,
            codec,
            intermediate,
            taps: design_lowpass(half_len, cutoff),
        })
    }

    /// Half the filter's length: its group delay in samples at the intermediate rate.
    fn half_len(&self) -> usize {
        self.taps.len() / 2
    }

    /// Delay of the round trip card → codec → card, in whole card samples.
    pub fn round_trip_delay(&self) -> usize {
        2 * self.half_len() * self.card as usize / self.intermediate as usize
    }

    /// The resampler from the card's rate to the codec's.
    pub fn to_codec(&self) -> Resampler {
        Resampler::new(self.taps.clone(), self.card, self.codec, self.intermediate)
    }

    /// The resampler from the codec's rate to the card's.
    pub fn to_card(&self) -> Resampler {
        Resampler::new(self.taps.clone(), self.codec, self.card, self.intermediate)
    }
}

/// One direction of rational resampling: conceptually, upsampling by `up` (zeros between
/// samples), the low-pass at the intermediate rate, and keeping every `down`-th sample;
/// only the products that matter are computed.
#[derive(Debug, Clone)]
pub struct Resampler {
    taps: Vec<f64>,
    up: usize,
    down: usize,
    /// Most recent input first.
    history: VecDeque<f64>,
    /// Inputs taken so far.
    inputs: u64,
    /// Outputs given so far.
    outputs: u64,
}

impl Resampler {
    fn new(taps: Vec<f64>, from: u32, to: u32, intermediate: u32) -> Self {
        let up = (intermediate / from) as usize;
        let down = (intermediate / to) as usize;
        let keep = taps.len() / up + 2;
        Resampler {
            taps,
            up,
            down,
            history: std::iter::repeat_n(0.0, keep).collect(),
            inputs: 0,
            outputs: 0,
        }
    }

    /// Takes one input sample and appends the outputs it completes to `out`.
    pub fn push(&mut self, x: f64, out: &mut Vec<f64>) {
        self.history.pop_back();
        self.history.push_front(x);
        self.inputs += 1;
        // Output n sits at intermediate index n·down and needs the inputs up to
        // floor(n·down / up): it is complete once that input has arrived.
        while self.outputs * self.down as u64 / (self.up as u64) < self.inputs {
            out.push(self.output());
            self.outputs += 1;
        }
    }

    /// Output `self.outputs`, from the inputs held.
    fn output(&self) -> f64 {
        let m = self.outputs * self.down as u64;
        let newest = self.inputs - 1;
        let gain = self.up as f64;
        let mut sum = 0.0;
        for (age, x) in self.history.iter().enumerate() {
            let Some(j) = newest.checked_sub(age as u64) else {
                break;
            };
            let Some(k) = m.checked_sub(j * self.up as u64) else {
                continue;
            };
            match self.taps.get(k as usize) {
                Some(h) => sum += h * x,
                None => break,
            }
        }
        sum * gain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                8000.0 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()
            })
            .collect()
    }

    fn run(r: &mut Resampler, x: &[f64]) -> Vec<f64> {
        let mut out = Vec::new();
        for &v in x {
            r.push(v, &mut out);
        }
        out
    }

    fn rms(x: &[f64]) -> f64 {
        (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn lowpass_has_unity_dc_gain_and_is_symmetric() {
        let h = design_lowpass(BASE_HALF_LEN, 0.23);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        for i in 0..h.len() {
            assert!((h[i] - h[h.len() - 1 - i]).abs() < 1e-15);
        }
    }

    #[test]
    fn every_rate_pair_keeps_the_pass_band_and_its_stated_delay() {
        for (card, codec) in [
            (16000, 8000),
            (48000, 8000),
            (48000, 16000),
            (16000, 48000),
            (16000, 24000),
            (16000, 12000),
            (48000, 24000),
            (8000, 16000),
        ] {
            let pair = RatePair::new(card, codec).unwrap();
            let seconds = 1;
            let x = tone(1000.0, card, card as usize * seconds);
            let mid = run(&mut pair.to_codec(), &x);
            assert_eq!(mid.len(), codec as usize * seconds, "{card}->{codec}");
            let back = run(&mut pair.to_card(), &mid);
            assert_eq!(back.len(), x.len(), "{codec}->{card}");
            let d = pair.round_trip_delay();
            let settled = &back[d + 400..];
            let level = rms(settled) / rms(&x[400..x.len() - d]);
            assert!((level - 1.0).abs() < 0.01, "{card}/{codec}: level {level}");
            // The round trip is the input delayed by exactly `d` card samples.
            let err: Vec<f64> = settled.iter().zip(&x[400..]).map(|(a, b)| a - b).collect();
            let snr = 20.0 * (rms(&x[400..]) / rms(&err)).log10();
            assert!(
                snr > 40.0,
                "{card}/{codec}: delay {d}, error {snr:.1} dB below the tone"
            );
        }
    }

    #[test]
    fn the_stop_band_is_removed_going_down() {
        let pair = RatePair::new(48000, 8000).unwrap();
        let x = tone(6000.0, 48000, 48000);
        let y = run(&mut pair.to_codec(), &x);
        assert!(rms(&y[200..]) < 8000.0 * 0.001, "{}", rms(&y[200..]));
    }

    #[test]
    fn equal_rates_need_no_resampler() {
        assert!(RatePair::new(16000, 16000).is_none());
    }
}
