//! The media path of one call direction: card rate → 8 kHz → codec → impairments →
//! codec → card rate → transport delay.
//!
//! Resampling uses one linear-phase FIR low-pass for decimation and one for interpolation;
//! their group delay is taken out of the transport delay line, so the delay from one
//! handset's microphone to the other's earpiece is exactly the configured transport delay.

use std::collections::VecDeque;

use crate::codec::{Codec, CodecKind};

/// Sample rate the codecs run at.
pub const CODEC_RATE: u32 = 8000;
/// Half length of the resampling FIR (taps = 2 × this + 1); its group delay in samples.
pub const FIR_HALF_LEN: usize = 32;

/// One encoded speech frame travelling through the network.
#[derive(Debug, Clone, Default)]
pub struct MediaFrame {
    /// Frame counter since the call was connected.
    pub seq: u64,
    /// Encoded codec payload.
    pub payload: Vec<u8>,
    /// Set by an impairment when the frame is lost; the receiver plays silence.
    pub lost: bool,
}

/// A network impairment applied to encoded frames of one call direction.
pub trait Impairment: Send {
    /// Short name for logs and reports.
    fn name(&self) -> &str;
    /// Processes one frame in place (may mark it lost or alter its payload).
    fn process(&mut self, frame: &mut MediaFrame);
}

/// Drops every `period`-th frame (a deterministic frame-loss pattern).
#[derive(Debug, Clone)]
pub struct PeriodicLoss {
    period: u64,
}

impl PeriodicLoss {
    /// Loses one frame out of every `period` (`period` 0 or 1 loses none / all respectively).
    pub fn new(period: u64) -> Self {
        PeriodicLoss { period }
    }
}

impl Impairment for PeriodicLoss {
    fn name(&self) -> &str {
        "periodic-loss"
    }
    fn process(&mut self, frame: &mut MediaFrame) {
        if self.period > 0 && (frame.seq + 1).is_multiple_of(self.period) {
            frame.lost = true;
        }
    }
}

/// Errors building a media path.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// The card rate is not one the network can resample from.
    #[error("unsupported sound card rate {0} Hz (supported: 8000, 16000)")]
    UnsupportedRate(u32),
    /// The transport delay is shorter than the resampling filters' own delay.
    #[error("transport delay of {requested} samples is below the minimum of {minimum} samples")]
    DelayTooShort {
        /// Requested delay in card samples.
        requested: usize,
        /// Smallest delay the path can provide.
        minimum: usize,
    },
}

/// Designs the low-pass FIR used for 2:1 resampling (windowed sinc, Blackman window, unity DC gain).
pub fn design_lowpass(half_len: usize, cutoff: f64) -> Vec<f64> {
    let n = 2 * half_len + 1;
    let mut h: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 - half_len as f64;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let w = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos()
                + 0.08 * (4.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos();
            sinc * w
        })
        .collect();
    let sum: f64 = h.iter().sum();
    for v in &mut h {
        *v /= sum;
    }
    h
}

/// A streaming FIR filter.
#[derive(Debug, Clone)]
struct Fir {
    taps: Vec<f64>,
    hist: VecDeque<f64>,
}

impl Fir {
    fn new(taps: Vec<f64>) -> Self {
        let hist = std::iter::repeat_n(0.0, taps.len()).collect();
        Fir { taps, hist }
    }
    fn push(&mut self, x: f64) -> f64 {
        self.hist.pop_back();
        self.hist.push_front(x);
        self.taps
            .iter()
            .zip(self.hist.iter())
            .map(|(h, x)| h * x)
            .sum()
    }
}

/// A delay line of a fixed number of samples.
#[derive(Debug, Clone)]
pub struct DelayLine {
    buf: VecDeque<f64>,
}

impl DelayLine {
    /// Creates a delay line of `len` samples, initially silent.
    pub fn new(len: usize) -> Self {
        DelayLine {
            buf: std::iter::repeat_n(0.0, len).collect(),
        }
    }
    /// Pushes one sample in and returns the one delayed by the line's length.
    pub fn push(&mut self, x: f64) -> f64 {
        self.buf.push_back(x);
        self.buf.pop_front().unwrap_or(0.0)
    }
}

/// The media path of one call direction.
pub struct Direction {
    resample: bool,
    decim: Fir,
    interp: Fir,
    phase: u64,
    pending: Vec<i16>,
    codec: Box<dyn Codec>,
    impairments: Vec<Box<dyn Impairment>>,
    seq: u64,
    decoded: VecDeque<f64>,
    delay: DelayLine,
    bits: Vec<u8>,
    pcm: Vec<i16>,
}

impl Direction {
    /// Samples per codec frame (20 ms at 8 kHz).
    pub const CODEC_FRAME: usize = 160;

    /// Builds a path whose total delay at `card_rate` is exactly `delay_samples`.
    pub fn new(codec: CodecKind, card_rate: u32, delay_samples: usize) -> Result<Self, MediaError> {
        let resample = match card_rate {
            8000 => false,
            16000 => true,
            r => return Err(MediaError::UnsupportedRate(r)),
        };
        let minimum = Self::min_delay(card_rate);
        if delay_samples < minimum {
            return Err(MediaError::DelayTooShort {
                requested: delay_samples,
                minimum,
            });
        }
        let h = design_lowpass(FIR_HALF_LEN, 3700.0 / 16000.0);
        let g: Vec<f64> = h.iter().map(|v| 2.0 * v).collect();
        Ok(Direction {
            resample,
            decim: Fir::new(h),
            interp: Fir::new(g),
            phase: 0,
            pending: Vec::new(),
            codec: codec.instantiate(),
            impairments: Vec::new(),
            seq: 0,
            decoded: VecDeque::new(),
            delay: DelayLine::new(delay_samples - minimum),
            bits: Vec::new(),
            pcm: Vec::new(),
        })
    }

    /// Smallest total delay the path can have at this card rate (the FIR group delays).
    pub fn min_delay(card_rate: u32) -> usize {
        if card_rate == 16000 {
            2 * FIR_HALF_LEN
        } else {
            0
        }
    }

    /// Appends an impairment to this direction's chain.
    pub fn add_impairment(&mut self, imp: Box<dyn Impairment>) {
        self.impairments.push(imp);
    }

    /// Processes card-rate samples; returns as many card-rate samples as were given.
    pub fn process(&mut self, input: &[i16]) -> Vec<i16> {
        // To codec rate.
        for &x in input {
            if self.resample {
                let y = self.decim.push(f64::from(x));
                if self.phase.is_multiple_of(2) {
                    self.pending.push(to_i16(y));
                }
                self.phase += 1;
            } else {
                self.pending.push(x);
            }
        }
        // Whole codec frames through codec and impairments.
        while self.pending.len() >= Self::CODEC_FRAME {
            let frame: Vec<i16> = self.pending.drain(..Self::CODEC_FRAME).collect();
            self.bits.clear();
            self.codec.encode(&frame, &mut self.bits);
            let mut mf = MediaFrame {
                seq: self.seq,
                payload: std::mem::take(&mut self.bits),
                lost: false,
            };
            self.seq += 1;
            for imp in &mut self.impairments {
                imp.process(&mut mf);
            }
            self.pcm.clear();
            if mf.lost {
                self.pcm.resize(Self::CODEC_FRAME, 0);
            } else {
                self.codec.decode(&mf.payload, &mut self.pcm);
            }
            self.bits = mf.payload;
            self.decoded.extend(self.pcm.iter().map(|&v| f64::from(v)));
        }
        // Back to card rate, through the delay line.
        let per_codec = if self.resample { 2 } else { 1 };
        let mut out = Vec::with_capacity(input.len());
        // Fed in multiples of 20 ms, every codec frame is complete at once, so the codec
        // framing adds no delay.
        for _ in 0..input.len() / per_codec {
            // Empty only while priming or when fed partial codec frames.
            let v = self.decoded.pop_front().unwrap_or(0.0);
            if self.resample {
                out.push(to_i16(self.delay.push(self.interp.push(v))));
                out.push(to_i16(self.delay.push(self.interp.push(0.0))));
            } else {
                out.push(to_i16(self.delay.push(v)));
            }
        }
        out
    }
}

fn to_i16(v: f64) -> i16 {
    v.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, amp: f64, n: usize, rate: f64) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / rate).sin()).round() as i16
            })
            .collect()
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    fn run(dir: &mut Direction, input: &[i16], frame: usize) -> Vec<i16> {
        input.chunks(frame).flat_map(|c| dir.process(c)).collect()
    }

    /// Lag (in samples) maximising the cross-correlation of `y` against `x`.
    fn best_lag(x: &[i16], y: &[i16], max_lag: usize) -> usize {
        (0..max_lag)
            .max_by(|&a, &b| xcorr(x, y, a).total_cmp(&xcorr(x, y, b)))
            .unwrap_or(0)
    }

    fn xcorr(x: &[i16], y: &[i16], lag: usize) -> f64 {
        x.iter()
            .zip(y.iter().skip(lag))
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    }

    fn noise(n: usize, seed: u64) -> Vec<i16> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as i32 % 8000) as i16
            })
            .collect()
    }

    #[test]
    fn lowpass_has_unity_dc_gain_and_is_symmetric() {
        let h = design_lowpass(FIR_HALF_LEN, 0.23);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        for i in 0..h.len() {
            assert!((h[i] - h[h.len() - 1 - i]).abs() < 1e-15);
        }
    }

    #[test]
    fn delay_is_exact_at_16k() {
        for (codec, delay) in [(CodecKind::G711ALaw, 960), (CodecKind::G711MuLaw, 1601)] {
            let mut d = Direction::new(codec, 16000, delay).unwrap();
            let x = noise(16000 * 2, 7);
            let y = run(&mut d, &x, 320);
            assert_eq!(y.len(), x.len());
            assert_eq!(best_lag(&x, &y, 2000), delay, "{codec:?}");
        }
    }

    #[test]
    fn delay_is_exact_at_8k() {
        let mut d = Direction::new(CodecKind::G711ALaw, 8000, 480).unwrap();
        let x = noise(16000, 3);
        let y = run(&mut d, &x, 160);
        assert_eq!(best_lag(&x, &y, 1000), 480);
    }

    #[test]
    fn tone_level_survives_within_half_a_db() {
        for codec in [CodecKind::G711ALaw, CodecKind::G711MuLaw] {
            for amp in [10000.0, 1000.0] {
                let mut d = Direction::new(codec, 16000, 960).unwrap();
                let x = tone(1000.0, amp, 32000, 16000.0);
                let y = run(&mut d, &x, 320);
                let db = 20.0 * (rms(&y[4000..30000]) / rms(&x[4000..30000])).log10();
                assert!(db.abs() < 0.5, "{codec:?} amp {amp}: {db:.2} dB");
            }
        }
    }

    #[test]
    fn rejects_short_delay_and_odd_rates() {
        assert!(matches!(
            Direction::new(CodecKind::G711ALaw, 16000, 10),
            Err(MediaError::DelayTooShort { .. })
        ));
        assert_eq!(
            Direction::new(CodecKind::G711ALaw, 44100, 10000).err(),
            Some(MediaError::UnsupportedRate(44100))
        );
    }

    #[test]
    fn periodic_loss_silences_frames() {
        let mut d = Direction::new(CodecKind::G711ALaw, 8000, 0).unwrap();
        d.add_impairment(Box::new(PeriodicLoss::new(2)));
        let x = tone(1000.0, 8000.0, 1600, 8000.0);
        let y = run(&mut d, &x, 160);
        assert!(rms(&y[160..320]) < 1.0, "second frame lost");
        assert!(rms(&y[320..480]) > 4000.0, "third frame kept");
    }
}
