//! The media path of one call direction: card rate → codec rate → talker noise → codec →
//! frame loss (concealed by the codec) → codec → gain → card rate → transport delay.
//!
//! Where the card and the codec run at different rates (16 kHz cards with 8 kHz codecs,
//! 48 kHz Opus on a 16 kHz card, …) the path resamples both ways through the linear-phase
//! FIRs of [`crate::resample`]; their group delay is taken out of the transport delay line,
//! so the delay from one handset's microphone to the other's earpiece is exactly the
//! transport delay plus the codec's algorithmic delay.

use std::collections::VecDeque;

use farend_codec::{Codec, CodecSpec};

use crate::drift::Drift;
use crate::jitter::{JitterBuffer, Playout};
use crate::netprofile::{Loss, LossProcess, Random};
use crate::resample::{RatePair, Resampler};

/// Every card and codec rate must divide this (8, 12, 16, 24 and 48 kHz do), so that the
/// resampling filters run at 48 kHz at most.
const SUPPORTED_RATE_MULTIPLE: u32 = 48_000;

/// Errors building a media path.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// The card rate and the codec rate do not go together.
    #[error(
        "a {card} Hz sound card cannot carry a {codec} Hz codec (the rates must divide 48000 Hz)"
    )]
    UnsupportedRate {
        /// Sound card rate in Hz.
        card: u32,
        /// Codec rate in Hz.
        codec: u32,
    },
    /// The transport delay is shorter than the resampling filters' own delay.
    #[error("transport delay of {requested} samples is below the minimum of {minimum} samples")]
    DelayTooShort {
        /// Requested delay in card samples.
        requested: usize,
        /// Smallest delay the path can provide.
        minimum: usize,
    },
    /// The codec library could not be set up.
    #[error("codec: {0}")]
    Codec(String),
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
    /// Card → codec and codec → card resamplers, when the rates differ.
    resampling: Option<(Resampler, Resampler)>,
    card_rate: u32,
    codec_rate: u32,
    pending: Vec<i16>,
    /// Card-rate samples computed ahead of the card's asking (a rational ratio can
    /// complete more than one at a time).
    played: VecDeque<f64>,
    codec: Box<dyn Codec>,
    frame: usize,
    algorithmic_delay: usize,
    loss: LossProcess,
    jitter: Option<JitterBuffer>,
    noise: Option<(f64, Random)>,
    gain: f64,
    silenced: bool,
    seq: u64,
    lost: Vec<u64>,
    decoded: VecDeque<f64>,
    delay: DelayLine,
    transport_delay: usize,
    drift: Option<(f64, Drift)>,
    bits: Vec<u8>,
    pcm: Vec<i16>,
}

/// The clock drift a way of a call had: its offset, and the delay the drift stage added at
/// the start and at the end of the call.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftTruth {
    /// The listening card's offset in ppm (positive: slow, the delay grows).
    pub ppm: f64,
    /// Delay the drift stage added when the call began, in card samples.
    pub start_samples: f64,
    /// Delay it added at the end, in card samples.
    pub end_samples: f64,
    /// Card samples from the answer at which a fast card slipped back by its backlog.
    pub slips: Vec<u64>,
}

impl Direction {
    /// Builds a path through `codec` whose transport delay at `card_rate` is exactly
    /// `delay_samples`; the codec's algorithmic delay comes on top (see
    /// [`Direction::mouth_to_ear_samples`]).
    pub fn new(
        codec: &CodecSpec,
        card_rate: u32,
        delay_samples: usize,
    ) -> Result<Self, MediaError> {
        let codec_rate = codec.sample_rate();
        if !SUPPORTED_RATE_MULTIPLE.is_multiple_of(card_rate)
            || !SUPPORTED_RATE_MULTIPLE.is_multiple_of(codec_rate)
        {
            return Err(MediaError::UnsupportedRate {
                card: card_rate,
                codec: codec_rate,
            });
        }
        let pair = RatePair::new(card_rate, codec_rate);
        let minimum = pair.as_ref().map_or(0, RatePair::round_trip_delay);
        if delay_samples < minimum {
            return Err(MediaError::DelayTooShort {
                requested: delay_samples,
                minimum,
            });
        }
        let algorithmic_delay = codec.algorithmic_delay() * card_rate as usize;
        Ok(Direction {
            resampling: pair.map(|p| (p.to_codec(), p.to_card())),
            card_rate,
            codec_rate,
            pending: Vec::new(),
            played: VecDeque::new(),
            codec: codec
                .instantiate()
                .map_err(|e| MediaError::Codec(e.to_string()))?,
            frame: codec.frame_samples(),
            // Whole card samples for every codec farend has (their delays are whole
            // multiples of 1/8000 s or 6.5 ms).
            algorithmic_delay: algorithmic_delay.div_ceil(codec_rate as usize),
            loss: LossProcess::new(Loss::None, 0),
            jitter: None,
            noise: None,
            gain: 1.0,
            silenced: false,
            seq: 0,
            lost: Vec::new(),
            decoded: VecDeque::new(),
            delay: DelayLine::new(delay_samples - minimum),
            transport_delay: delay_samples,
            drift: None,
            bits: Vec::new(),
            pcm: Vec::new(),
        })
    }

    /// Loses frames by `model`, the same ones for the same `seed`.
    pub fn with_loss(mut self, model: Loss, seed: u64) -> Self {
        self.loss = LossProcess::new(model, seed);
        self
    }

    /// Delays packets by up to `jitter_ms` and plays them through an adaptive jitter buffer
    /// (see [`crate::jitter`]); 0 keeps the path without one.
    pub fn with_jitter(mut self, jitter_ms: f64, seed: u64) -> Self {
        self.jitter = (jitter_ms > 0.0).then(|| JitterBuffer::new(jitter_ms, seed));
        self
    }

    /// Plays the far end on a card whose clock is `ppm` millionths slow (negative: fast)
    /// against the talker's card at `card_rate` (see [`crate::drift`]); 0 keeps one clock.
    pub fn with_clock_ppm(mut self, ppm: f64, card_rate: u32) -> Self {
        self.drift = (ppm != 0.0).then(|| {
            let drift = Drift::new(ppm, card_rate);
            (drift.delay_samples(), drift)
        });
        self
    }

    /// The drift of this way so far, when its cards have two clocks.
    pub fn drift_truth(&self) -> Option<DriftTruth> {
        let (start, drift) = self.drift.as_ref()?;
        Some(DriftTruth {
            ppm: (1.0 - drift.step()) * 1e6,
            start_samples: *start,
            end_samples: drift.delay_samples(),
            slips: drift.slips().to_vec(),
        })
    }

    /// Multiplies the decoded audio by `db` of gain (clipping at full scale).
    pub fn with_gain_db(mut self, db: f64) -> Self {
        self.gain = 10f64.powf(db / 20.0);
        self
    }

    /// Adds white noise at `dbfs` (relative to a full-scale sine) at the talker, before the
    /// codec.
    pub fn with_noise(mut self, dbfs: f64, seed: u64) -> Self {
        let rms = 32767.0 / 2f64.sqrt() * 10f64.powf(dbfs / 20.0);
        self.noise = Some((rms, Random::new(seed)));
        self
    }

    /// Silences (or restores) what this path delivers, from the next frame on: one-way
    /// audio and mute faults.
    pub fn set_silenced(&mut self, silenced: bool) {
        self.silenced = silenced;
    }

    /// Frames sent so far.
    pub fn frames_sent(&self) -> u64 {
        self.seq
    }

    /// Indices of the frames lost so far.
    pub fn lost_frames(&self) -> &[u64] {
        &self.lost
    }

    /// The true delay from microphone to earpiece in card samples now: transport delay, the
    /// codec's algorithmic delay, the jitter buffer's playout delay and the clock drift.
    pub fn mouth_to_ear_samples(&self) -> usize {
        let playout = self
            .jitter
            .as_ref()
            .map_or(0, |j| j.delay_frames() as usize);
        let drift = self
            .drift
            .as_ref()
            .map_or(0, |(_, d)| d.delay_samples().round() as usize);
        self.base_delay() + playout * self.frame_card_samples() + drift
    }

    /// Every mouth-to-ear delay the path had without its clock drift (see
    /// [`Direction::drift_truth`]), in card samples, with the frame it started at.
    pub fn delay_history(&self) -> Vec<(u64, usize)> {
        match &self.jitter {
            Some(j) => j
                .changes()
                .iter()
                .map(|&(frame, d)| {
                    (
                        frame,
                        self.base_delay() + d as usize * self.frame_card_samples(),
                    )
                })
                .collect(),
            None => vec![(0, self.base_delay())],
        }
    }

    /// Frames that arrived after their playout time (concealed).
    pub fn late_frames(&self) -> &[u64] {
        self.jitter.as_ref().map_or(&[], |j| j.late_frames())
    }

    /// Transport plus algorithmic delay, in card samples.
    fn base_delay(&self) -> usize {
        self.transport_delay + self.algorithmic_delay
    }

    /// One 20 ms frame in card samples.
    fn frame_card_samples(&self) -> usize {
        self.frame * self.card_rate as usize / self.codec_rate as usize
    }

    /// Processes card-rate samples; returns as many card-rate samples as were given.
    pub fn process(&mut self, input: &[i16]) -> Vec<i16> {
        // To codec rate.
        match self.resampling.as_mut() {
            Some((to_codec, _)) => {
                let mut resampled = Vec::with_capacity(input.len() * 6);
                for &x in input {
                    to_codec.push(f64::from(x), &mut resampled);
                }
                self.pending.extend(resampled.into_iter().map(to_i16));
            }
            None => self.pending.extend_from_slice(input),
        }
        while self.pending.len() >= self.frame {
            let mut frame: Vec<i16> = self.pending.drain(..self.frame).collect();
            self.code_frame(&mut frame);
        }
        // Back to card rate, through the delay line. Fed in multiples of 20 ms, every
        // codec frame is complete at once, so the codec framing adds no delay; the queue of
        // decoded samples is empty only while priming or when fed partial codec frames.
        match self.resampling.as_mut() {
            Some((_, to_card)) => {
                let mut ahead = Vec::new();
                while self.played.len() < input.len() {
                    let v = self.decoded.pop_front().unwrap_or(0.0);
                    to_card.push(v, &mut ahead);
                    self.played.extend(ahead.drain(..));
                }
            }
            None => {
                while self.played.len() < input.len() {
                    self.played
                        .push_back(self.decoded.pop_front().unwrap_or(0.0));
                }
            }
        }
        let mut out: Vec<f64> = self
            .played
            .drain(..input.len())
            .map(|v| self.delay.push(v))
            .collect();
        if let Some((_, drift)) = self.drift.as_mut() {
            let mut played = Vec::with_capacity(out.len());
            drift.process(&out, &mut played);
            out = played;
        }
        out.into_iter().map(to_i16).collect()
    }

    /// One 20 ms frame at codec rate: noise at the talker, encoding, loss or decoding, gain.
    fn code_frame(&mut self, frame: &mut [i16]) {
        if let Some((rms, random)) = self.noise.as_mut() {
            for s in frame.iter_mut() {
                *s = to_i16(f64::from(*s) + *rms * random.normal());
            }
        }
        self.bits.clear();
        let encoded = self.codec.encode(frame, &mut self.bits);
        let lost = self.loss.next_lost();
        if lost {
            self.lost.push(self.seq);
        }
        let arrived = (encoded.is_ok() && !lost).then(|| self.bits.clone());
        let playout = match self.jitter.as_mut() {
            Some(jitter) => {
                jitter.send(self.seq, arrived);
                jitter.play(self.seq)
            }
            None => arrived.map_or(Playout::Conceal, Playout::Frame),
        };
        self.seq += 1;
        self.pcm.clear();
        let decoded = match playout {
            Playout::Frame(bits) => self.codec.decode(&bits, &mut self.pcm),
            Playout::Conceal => self.codec.conceal(&mut self.pcm),
            Playout::Silence => {
                self.pcm.resize(self.frame, 0);
                Ok(())
            }
        };
        if decoded.is_err() || self.pcm.len() != self.frame {
            self.pcm.clear();
            self.pcm.resize(self.frame, 0);
        }
        let gain = if self.silenced { 0.0 } else { self.gain };
        self.decoded
            .extend(self.pcm.iter().map(|&v| f64::from(v) * gain));
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
    fn delay_is_exact_at_16k() {
        for (codec, delay) in [(CodecSpec::G711ALaw, 960), (CodecSpec::G711MuLaw, 1601)] {
            let mut d = Direction::new(&codec, 16000, delay).unwrap();
            let x = noise(16000 * 2, 7);
            let y = run(&mut d, &x, 320);
            assert_eq!(y.len(), x.len());
            assert_eq!(best_lag(&x, &y, 2000), delay, "{codec:?}");
        }
    }

    #[test]
    fn delay_is_exact_at_8k() {
        let mut d = Direction::new(&CodecSpec::G711ALaw, 8000, 480).unwrap();
        let x = noise(16000, 3);
        let y = run(&mut d, &x, 160);
        assert_eq!(best_lag(&x, &y, 1000), 480);
    }

    #[test]
    fn tone_level_survives_within_half_a_db() {
        for codec in [CodecSpec::G711ALaw, CodecSpec::G711MuLaw] {
            for amp in [10000.0, 1000.0] {
                let mut d = Direction::new(&codec, 16000, 960).unwrap();
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
            Direction::new(&CodecSpec::G711ALaw, 16000, 10),
            Err(MediaError::DelayTooShort { .. })
        ));
        assert_eq!(
            Direction::new(&CodecSpec::G711ALaw, 44100, 10000).err(),
            Some(MediaError::UnsupportedRate {
                card: 44100,
                codec: 8000
            })
        );
    }

    #[test]
    fn lost_frames_are_concealed_and_counted() {
        let loss = Loss::Random { p: 0.2 };
        let mut d = Direction::new(&CodecSpec::G711ALaw, 8000, 0)
            .unwrap()
            .with_loss(loss, 3);
        let x = tone(1000.0, 8000.0, 16000, 8000.0);
        let y = run(&mut d, &x, 160);
        assert_eq!(d.frames_sent(), 100);
        let lost = d.lost_frames().to_vec();
        assert!((10..=30).contains(&lost.len()), "{lost:?}");
        let first = lost[0] as usize * 160;
        // G.711's concealment fades the last frame: the lost frame is quieter than the tone.
        assert!(rms(&y[first..first + 160]) < 0.9 * rms(&x[first..first + 160]));
    }

    #[test]
    fn wideband_codecs_keep_the_true_delay() {
        let spec: CodecSpec = "amr-wb:12.65".parse().unwrap();
        let mut d = Direction::new(&spec, 16000, 960).unwrap();
        assert_eq!(d.mouth_to_ear_samples(), 960 + 95);
        // Speech-like: a sum of tones with a slow envelope, which AMR-WB codes well.
        let x: Vec<i16> = (0..32000)
            .map(|i| {
                let t = i as f64 / 16000.0;
                let env = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
                (env * 6000.0
                    * ((2.0 * std::f64::consts::PI * 440.0 * t).sin()
                        + 0.5 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin()))
                .round() as i16
            })
            .collect();
        let y = run(&mut d, &x, 320);
        let lag = best_lag(&x, &y, 1400);
        assert!(lag.abs_diff(960 + 95) <= 2, "lag {lag}");
    }

    #[test]
    fn a_silenced_path_delivers_silence() {
        let mut d = Direction::new(&CodecSpec::G711MuLaw, 8000, 0).unwrap();
        let x = tone(1000.0, 8000.0, 1600, 8000.0);
        let before = run(&mut d, &x, 160);
        d.set_silenced(true);
        let after = run(&mut d, &x, 160);
        assert!(rms(&before[160..]) > 4000.0);
        assert!(rms(&after) < 1.0);
    }
}
