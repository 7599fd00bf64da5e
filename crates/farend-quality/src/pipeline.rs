//! One scoring call from samples to [`Score`]: the method's steps in order.

use crate::aggregate;
use crate::align::{self, Utterance as Aligned};
use crate::input_filter::{self, Listening};
use crate::level;
use crate::mapping::{category, mos_lqo_narrowband, mos_lqo_wideband};
use crate::perceptual::{self, Disturbance, FramePowers, Model};
use crate::relatedness::{self, Relatedness};
use crate::report::{FrameDisturbance, Score, ScoreWarning, TrackPoint, Utterance};
use crate::spectrum::{Spectra, WholeSpectrum};
use crate::{Band, QualityError, ScoreOptions, WidebandVersion};

/// Shortest signal the method accepts: 1 s.
const MIN_SECONDS: f64 = 1.0;
/// Active speech P.862.3 asks a reference to hold.
const MIN_ACTIVE_SPEECH_S: f64 = 3.2;

/// Scores two signals in 16-bit units at `rate`.
pub fn score(
    reference: Vec<f64>,
    degraded: Vec<f64>,
    rate: u32,
    options: &ScoreOptions,
) -> Result<Score, QualityError> {
    check_input(&reference, &degraded, rate)?;
    let input_rate = rate;
    let (reference, degraded, rate, resampled_from) =
        to_processing_rate(reference, degraded, rate, options.band);
    let listening = match options.band {
        Band::Narrow => Listening::Handset,
        Band::Wide => Listening::Headphones,
    };
    let active = active_interval(&reference);
    let reference = level_and_filter(&reference, rate, listening);
    let degraded = level_and_filter(&degraded, rate, listening);

    let alignment = align::align(&reference, &degraded, rate);
    if alignment.utterances.is_empty() {
        return Err(QualityError::NoUtterances);
    }
    let model = Model::new(
        rate,
        (options.band == Band::Wide).then_some(options.wideband_version),
    );
    let frames = perceive(
        &model,
        (&reference, &degraded),
        rate,
        &alignment.utterances,
        active,
    );
    let (symmetric, asymmetric) = aggregate::indicators(&frames.counted);
    let raw = aggregate::raw_score(symmetric, asymmetric);
    let mos_lqo = mos_lqo(options.band, raw);
    let report = FrameReport {
        frames: &frames,
        rate,
        band: options.band,
    };
    let utterances: Vec<Utterance> = alignment
        .utterances
        .iter()
        .map(|u| Utterance {
            start_s: report.seconds(u.start),
            end_s: report.seconds(u.end),
            delay_ms: u.delay as f64 * 1000.0 / rate as f64,
            confidence: u.confidence,
        })
        .collect();
    let utterance_scores = alignment
        .utterances
        .iter()
        .filter_map(|u| report.stretch(u.start, u.end))
        .collect();
    let track = report.track(options.track_window_s, reference.len());
    let spans: Vec<(std::ops::Range<usize>, isize)> = alignment
        .utterances
        .iter()
        .map(|u| (u.start..u.end, u.delay))
        .collect();
    let relatedness = relatedness::measure(&reference, &degraded, rate, &spans);
    let warnings = warnings(&alignment.utterances, rate, relatedness);
    Ok(Score {
        raw,
        mos_lqo,
        category: category(mos_lqo),
        band: options.band,
        standard: standard(options).to_string(),
        sample_rate: input_rate,
        processed_rate: rate,
        resampled_from,
        delay_ms: utterances.first().map_or(0.0, |u| u.delay_ms),
        utterances,
        utterance_scores,
        track,
        frames: report.disturbances(),
        warnings,
    })
}

/// MOS-LQO of a raw score by the band's mapping (P.862.1 or P.862.2).
fn mos_lqo(band: Band, raw: f64) -> f64 {
    match band {
        Band::Narrow => mos_lqo_narrowband(raw),
        Band::Wide => mos_lqo_wideband(raw),
    }
}

/// What the method cannot score: a rate out of range, a signal under a second, silence.
fn check_input(reference: &[f64], degraded: &[f64], rate: u32) -> Result<(), QualityError> {
    if !(4000..=384_000).contains(&rate) {
        return Err(QualityError::UnsupportedRate(rate));
    }
    for (which, signal) in [("reference", reference), ("degraded", degraded)] {
        let seconds = signal.len() as f64 / rate as f64;
        if seconds < MIN_SECONDS {
            return Err(QualityError::TooShort {
                which,
                seconds,
                min_seconds: MIN_SECONDS,
            });
        }
    }
    if is_silent(reference) {
        return Err(QualityError::SilentReference);
    }
    if is_silent(degraded) {
        return Err(QualityError::SilentDegraded);
    }
    Ok(())
}

/// Both signals at the rate the band is scored at (narrowband: 8 or 16 kHz as given, else
/// 8 kHz; wideband: 16 kHz), with that rate and a note when they were resampled.
fn to_processing_rate(
    reference: Vec<f64>,
    degraded: Vec<f64>,
    rate: u32,
    band: Band,
) -> (Vec<f64>, Vec<f64>, u32, Option<String>) {
    let processed_rate = match (band, rate) {
        (Band::Narrow, 8000 | 16000) => rate,
        (Band::Narrow, _) => 8000,
        (Band::Wide, _) => 16000,
    };
    if processed_rate == rate {
        return (reference, degraded, rate, None);
    }
    let note = format!("{rate} Hz resampled to {processed_rate} Hz (windowed-sinc, farend-dsp)");
    (
        resample(&reference, rate, processed_rate),
        resample(&degraded, rate, processed_rate),
        processed_rate,
        Some(note),
    )
}

/// Level alignment and the listening device's filter, which share one transform.
fn level_and_filter(signal: &[f64], rate: u32, listening: Listening) -> Vec<f64> {
    let spectrum = WholeSpectrum::new(signal, rate);
    let gain = level::gain(&spectrum);
    input_filter::apply(spectrum, gain, listening)
}

/// The perceptual model's verdict on every frame of the reference.
struct Frames {
    /// Each frame's disturbance (after bad-interval realignment).
    all: Vec<Disturbance>,
    /// The frames that count towards the score (`None`: left out).
    counted: Vec<Option<Disturbance>>,
    /// Samples between frame starts.
    hop: usize,
}

/// Runs the perceptual model over the aligned signals: a delay per frame from the
/// utterances, bad intervals realigned, and the frames that count chosen.
fn perceive(
    model: &Model,
    (reference, degraded): (&[f64], &[f64]),
    rate: u32,
    utterances: &[Aligned],
    active: (usize, usize),
) -> Frames {
    let frame_len = perceptual::frame_len(rate);
    let hop = frame_len / 2;
    // Every frame whose first half lies in the reference, the last one padded with silence:
    // the oracle charges audio missing from the last 16 ms of a file as it charges a frame
    // holding it (20 ms zeroed at the very end of three corpus references: oracle loss
    // 0.38-0.52 raw, farend 0.07-0.21 before, 0.40-0.58 with this frame and the intervals of
    // `aggregate::over_time`; PROVENANCE.md, "The end of the file").
    let frame_count = (reference.len() / hop).max(1);
    let utterance_delays = frame_delays(utterances, frame_count, hop, frame_len);
    let mut delays = utterance_delays.clone();
    let mut analysis = FrameAnalysis::new(model, reference, degraded, hop);
    let powers = analysis.powers(&delays);
    let mut disturbances = model.disturbances(&mut powers.clone());
    let held = inserted_stretches(utterances, frame_count, hop, frame_len);
    realign_bad_intervals(
        &mut analysis,
        &powers,
        (&mut delays, &held),
        &mut disturbances,
        rate,
    );
    // Cuts are read from the utterances' delays, not from the realigned ones: a bad interval
    // realigned anywhere within 300 ms is no sign that audio was cut, and skipping the frames
    // after it would leave lost frames out and score loss too high.
    let cut = frames_comparing_cut_audio(&utterance_delays, hop);
    let counted = disturbances
        .iter()
        .enumerate()
        .map(|(n, d)| {
            // Frames that touch the reference's active interval count (P.862 §10.2.3).
            let start = n * hop;
            let inside = start + frame_len > active.0 && start < active.1;
            (inside && !cut[n]).then_some(*d)
        })
        .collect();
    Frames {
        all: disturbances,
        counted,
        hop,
    }
}

/// The per-stretch and per-frame parts of a [`Score`].
struct FrameReport<'a> {
    frames: &'a Frames,
    rate: u32,
    band: Band,
}

impl FrameReport<'_> {
    fn seconds(&self, samples: usize) -> f64 {
        samples as f64 / self.rate as f64
    }

    /// The score of the frames from sample `start` to `end`, when there are any.
    fn stretch(&self, start: usize, end: usize) -> Option<TrackPoint> {
        let hop = self.frames.hop;
        let counted = &self.frames.counted;
        let first = start / hop;
        let last = (end / hop).min(counted.len());
        if first >= last {
            return None;
        }
        let (s, a) = aggregate::indicators(&counted[first..last]);
        let raw = aggregate::raw_score(s, a);
        Some(TrackPoint {
            start_s: self.seconds(start),
            end_s: self.seconds(end),
            raw,
            mos_lqo: mos_lqo(self.band, raw),
        })
    }

    /// The score of consecutive windows of `window_s` seconds over `len` samples (none for a
    /// zero window).
    fn track(&self, window_s: f64, len: usize) -> Vec<TrackPoint> {
        let window = (window_s * self.rate as f64) as usize;
        let mut track = Vec::new();
        if window > 0 {
            let mut start = 0;
            while start < len {
                let end = (start + window).min(len);
                track.extend(self.stretch(start, end));
                start = end;
            }
        }
        track
    }

    /// Every frame's disturbance with its time.
    fn disturbances(&self) -> Vec<FrameDisturbance> {
        self.frames
            .all
            .iter()
            .enumerate()
            .map(|(n, d)| FrameDisturbance {
                t_s: self.seconds(n * self.frames.hop),
                symmetric: d.symmetric,
                asymmetric: d.asymmetric,
            })
            .collect()
    }
}

fn standard(options: &ScoreOptions) -> &'static str {
    match (options.band, options.wideband_version) {
        (Band::Narrow, _) => "ITU-T P.862 + P.862.1",
        (Band::Wide, WidebandVersion::P862_2_2005) => "ITU-T P.862.2 (2005)",
        (Band::Wide, WidebandVersion::P862_2Cor2_2018) => "ITU-T P.862.2 with Corrigendum 2 (2018)",
    }
}

/// Frames around a fall in delay that compare reference audio the network cut out: where
/// `J` of audio was cut, the `J` of reference after the cut has no counterpart, and the
/// frames that would compare it re-read degraded audio instead; so does the last frame
/// before the fall, whose window reaches past it. They are left out of the aggregation. The
/// text does not say this; it follows the oracle, which scores cuts of 20 ms and more as
/// perfect and ignores noise added next to the splice (PROVENANCE.md, "Audio cut out of the
/// degraded signal", "The frame that reaches past a fall is left out too"). `delays` are the
/// utterances' delays, before bad intervals are realigned.
fn frames_comparing_cut_audio(delays: &[isize], hop: usize) -> Vec<bool> {
    let mut out = vec![false; delays.len()];
    for n in 1..delays.len() {
        let fall = delays[n - 1] - delays[n];
        if fall <= 0 {
            continue;
        }
        let end = (n + (fall as usize).div_ceil(hop)).min(delays.len());
        // The last frame before the fall reaches past it (a frame takes the delay of the
        // utterance holding its centre), so its second half already compares cut-out
        // reference with audio from after the splice.
        out[n - 1..end].fill(true);
    }
    out
}

/// The reference's active interval (P.862 §10.2.3): from the first to the last sample
/// where five successive absolute sample values (16-bit units, as the file holds them)
/// sum to more than 500. Leading and trailing silence stays out of the aggregation.
fn active_interval(signal: &[f64]) -> (usize, usize) {
    let loud = |i: usize| signal[i..i + 5].iter().map(|v| v.abs()).sum::<f64>() > 500.0;
    let n = signal.len().saturating_sub(4);
    let start = (0..n).find(|&i| loud(i)).unwrap_or(0);
    let end = (0..n)
        .rev()
        .find(|&i| loud(i))
        .map_or(signal.len(), |i| i + 5);
    (start, end)
}

fn is_silent(signal: &[f64]) -> bool {
    let first = signal[0];
    signal.iter().all(|&v| (v - first).abs() < 1.0)
}

fn resample(signal: &[f64], from: u32, to: u32) -> Vec<f64> {
    let as_f32: Vec<f32> = signal.iter().map(|&v| (v / 32768.0) as f32).collect();
    farend_dsp::resample::resample(&as_f32, from, to)
        .iter()
        .map(|&v| f64::from(v) * 32768.0)
        .collect()
}

/// Delay of every frame: the delay of the utterance whose stretch holds the frame's centre;
/// stretches meet half-way between utterances.
fn frame_delays(utterances: &[Aligned], frames: usize, hop: usize, len: usize) -> Vec<isize> {
    (0..frames)
        .map(|n| {
            let centre = n * hop + len / 2;
            let mut chosen = &utterances[0];
            for pair in utterances.windows(2) {
                let boundary = (pair[0].end + pair[1].start) / 2;
                if centre >= boundary {
                    chosen = &pair[1];
                }
            }
            chosen.delay
        })
        .collect()
}

/// Frames whose reference was compared on purpose with audio the network inserted: the
/// stretch each utterance records (`align::Utterance::inserted`, set where a split finds the
/// delay growing). Bad-interval realignment leaves them at their delay: it would otherwise
/// find the displaced speech later and hide the insertion, which the oracle charges like a
/// dropout (PROVENANCE.md).
fn inserted_stretches(utterances: &[Aligned], frames: usize, hop: usize, len: usize) -> Vec<bool> {
    let mut held = vec![false; frames];
    for u in utterances.iter().filter(|u| u.inserted > 0) {
        let stretch = u.end - u.inserted.min(u.end - u.start)..u.end;
        for (n, slot) in held.iter_mut().enumerate() {
            if stretch.contains(&(n * hop + len / 2)) {
                *slot = true;
            }
        }
    }
    held
}

/// Band powers of the frames of a signal pair at given delays.
struct FrameAnalysis<'a> {
    model: &'a Model,
    reference: &'a [f64],
    degraded: &'a [f64],
    hop: usize,
    spectra: Spectra,
}

impl<'a> FrameAnalysis<'a> {
    fn new(model: &'a Model, reference: &'a [f64], degraded: &'a [f64], hop: usize) -> Self {
        FrameAnalysis {
            model,
            reference,
            degraded,
            hop,
            spectra: Spectra::new(hop * 2),
        }
    }

    /// Band powers of every frame, the degraded frame `delays[n]` samples late.
    fn powers(&mut self, delays: &[isize]) -> Vec<FramePowers> {
        (0..delays.len())
            .map(|n| FramePowers {
                reference: self.band_powers(self.reference, self.start(n)),
                degraded: self.band_powers(self.degraded, self.start(n) + delays[n]),
            })
            .collect()
    }

    /// Band powers of the degraded frame `n`, `delay` samples late.
    fn degraded_powers(&mut self, n: usize, delay: isize) -> Vec<f64> {
        self.band_powers(self.degraded, self.start(n) + delay)
    }

    fn start(&self, n: usize) -> isize {
        (n * self.hop) as isize
    }

    fn band_powers(&mut self, signal: &[f64], start: isize) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.model.bands.len());
        self.model
            .band_powers(self.spectra.power(signal, start), &mut out);
        out
    }
}

/// Searches the delay of every bad interval again and keeps, frame by frame, the smaller
/// disturbance of the two delays; `powers` are the frames' band powers at `delays`.
fn realign_bad_intervals(
    analysis: &mut FrameAnalysis,
    powers: &[FramePowers],
    (delays, held): (&mut [isize], &[bool]),
    disturbances: &mut [Disturbance],
    rate: u32,
) {
    let symmetric: Vec<f64> = disturbances.iter().map(|d| d.symmetric).collect();
    let intervals = align::realign::bad_intervals(&symmetric);
    if intervals.is_empty() {
        return;
    }
    let hop = analysis.hop;
    let search = align::realign::SEARCH_MS * rate as usize / 1000;
    let mut trial = delays.to_vec();
    let mut changed = false;
    for interval in &intervals {
        let start = interval.start * hop;
        let end = interval.end * hop + hop;
        let around = delays[interval.start];
        if let Some(delay) = align::realign::best_delay(
            analysis.reference,
            analysis.degraded,
            start,
            end,
            around,
            search,
            rate,
        ) && delay != around
        {
            for n in interval.clone() {
                if !held[n] {
                    trial[n] = delay;
                    changed = true;
                }
            }
        }
    }
    if !changed {
        return;
    }
    // Only the degraded frames whose delay changed need their band powers again.
    let mut again_powers = powers.to_vec();
    for (n, frame) in again_powers.iter_mut().enumerate() {
        if trial[n] != delays[n] {
            frame.degraded = analysis.degraded_powers(n, trial[n]);
        }
    }
    let again = analysis.model.disturbances(&mut again_powers);
    for interval in &intervals {
        for n in interval.clone() {
            if again[n].symmetric < disturbances[n].symmetric {
                disturbances[n] = again[n];
                delays[n] = trial[n];
            }
        }
    }
}

fn warnings(utterances: &[Aligned], rate: u32, relatedness: Relatedness) -> Vec<ScoreWarning> {
    let mut out = Vec::new();
    let active: usize = utterances.iter().map(|u| u.end - u.start).sum();
    let active_s = active as f64 / rate as f64;
    if active_s < MIN_ACTIVE_SPEECH_S {
        out.push(ScoreWarning::ShortSpeech {
            active_s,
            message: format!(
                "the reference holds {active_s:.1} s of speech; P.862.3 asks for at least {MIN_ACTIVE_SPEECH_S} s"
            ),
        });
    }
    // With less speech than P.862.3 asks for, too few envelope blocks remain to tell a badly
    // damaged copy from other audio; the short-speech warning already says not to trust it.
    if active_s >= MIN_ACTIVE_SPEECH_S && relatedness.unrelated() {
        let correlation = relatedness.utterance_correlation;
        out.push(ScoreWarning::NotCorrelated {
            correlation,
            message: format!(
                "the degraded signal does not follow the reference (envelope correlation {correlation:.2} at the found delays): probably other audio, so the score and delay mean nothing"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utterance(start: usize, end: usize, delay: isize) -> Aligned {
        Aligned {
            start,
            end,
            delay,
            confidence: 1.0,
            inserted: 0,
        }
    }

    #[test]
    fn only_the_recorded_inserted_stretches_are_held() {
        // Frames of 256 with a hop of 128: frame n's centre is 128 n + 128.
        let utterances = [
            Aligned {
                inserted: 960,
                ..utterance(0, 4000, 0)
            },
            utterance(4000, 8000, 960),
            Aligned {
                inserted: 9000,
                ..utterance(8000, 12000, 0)
            },
            utterance(13000, 16000, 500),
        ];
        let held = inserted_stretches(&utterances, 124, 128, 256);
        let held: Vec<usize> = (0..124).filter(|&n| held[n]).collect();
        // Centres in 3040..4000: frames 23 to 30; a stretch longer than its utterance is
        // held over the utterance alone (centres 8000..12000: frames 62 to 92).
        let expected: Vec<usize> = (23..=30).chain(62..=92).collect();
        assert_eq!(held, expected);
    }

    #[test]
    fn the_active_interval_runs_from_the_first_to_the_last_loud_samples() {
        let mut x = vec![0.0; 1000];
        x[100..110].fill(60.0);
        x[800..803].fill(-200.0);
        // Five samples of 60 sum to 300: not loud. Three of 200 sum to 600: the interval
        // runs from the first five-sample window holding all three to the end of the last.
        assert_eq!(active_interval(&x), (798, 805));
        // Four samples of 150 are enough (600).
        x[100..110].fill(150.0);
        assert_eq!(active_interval(&x), (99, 805));
    }

    #[test]
    fn frames_around_a_fall_in_delay_are_the_ones_comparing_cut_audio() {
        let delays = [0, 0, 0, -300, -300, -300, -300, -300, 40, 40];
        let cut = frames_comparing_cut_audio(&delays, 128);
        // A 300-sample fall at frame 3: ceil(300 / 128) = 3 frames re-read, and frame 2
        // reaches past the fall; a rise marks nothing.
        let marked: Vec<usize> = (0..delays.len()).filter(|&n| cut[n]).collect();
        assert_eq!(marked, [2, 3, 4, 5]);
    }
}
