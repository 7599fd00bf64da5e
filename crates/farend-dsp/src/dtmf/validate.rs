//! Stage two: measures one candidate region and keeps the digits it really holds.
//!
//! Both tones are demodulated with 10 ms Hann windows every 1 ms. A frame is "on" when the
//! two tones carry at least half of its power, their twist is plausible and both are above
//! a floor well under the weakest accepted level. These are ratios, so a codec's gain moving
//! inside a tone does not break it up; where a tone starts or stops, half of the window
//! holds it exactly when the tones carry half of the frame's power, so the edges land on the
//! tone's own edges at any level. Decisions use medians over the on-frames.

use super::{COL_FREQS, DtmfConfig, DtmfEvent, KEYPAD, RECEIVER_RATE, ROW_FREQS};
use crate::tone::{amplitude_to_dbov, dbm0_to_dbov, dbov_to_dbm0, measure_sinusoid, wrap_phase};

/// Envelope hop (1 ms at 8 kHz) and window (10 ms).
const HOP: usize = 8;
const WIN: usize = 80;
/// Share of a frame's power the two tones carry at a tone's edge (half a window filled).
const EDGE_PURITY: f64 = 0.5;
/// How far below the weakest accepted level a frame may still count (dB): the level decision
/// is on the median, single frames may dip.
const FRAME_FLOOR_DB: f64 = 12.0;
/// How far past the twist limits a single frame may go (dB); the decision is on the median.
const FRAME_TWIST_MARGIN_DB: f64 = 6.0;
/// Stretch at each end of a tone over which the edge reference of each tone is taken.
const EDGE_REF_FRAMES: usize = 20;

/// Per-frame envelopes and phases of the two tones and their share of the frame power.
struct Frames {
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// Phase of each tone in frame `k` against its nominal frequency, one time origin for all.
    lo_phase: Vec<f64>,
    hi_phase: Vec<f64>,
    purity: Vec<f64>,
}

impl Frames {
    /// Frame `k` is centred on sample `k·HOP` of `seg` (which is padded with silence).
    fn measure(seg: &[f32], f_lo: f64, f_hi: f64) -> Self {
        let half = WIN / 2;
        let mut padded = vec![0.0f32; seg.len() + 2 * half];
        padded[half..half + seg.len()].copy_from_slice(seg);
        let hann: Vec<f32> = (0..WIN)
            .map(|i| {
                let u = (i as f64 + 0.5) / WIN as f64;
                (0.5 - 0.5 * (std::f64::consts::TAU * u).cos()) as f32
            })
            .collect();
        let wsum: f64 = hann.iter().map(|&w| f64::from(w)).sum();
        let w2sum: f64 = hann.iter().map(|&w| f64::from(w) * f64::from(w)).sum();
        let n = (padded.len() - WIN) / HOP + 1;
        let mut f = Frames {
            lo: Vec::with_capacity(n),
            hi: Vec::with_capacity(n),
            lo_phase: Vec::with_capacity(n),
            hi_phase: Vec::with_capacity(n),
            purity: Vec::with_capacity(n),
        };
        for k in 0..n {
            let w = &padded[k * HOP..k * HOP + WIN];
            let z_lo = crate::tone::correlate(w, f_lo, RECEIVER_RATE, Some(&hann));
            let z_hi = crate::tone::correlate(w, f_hi, RECEIVER_RATE, Some(&hann));
            let amp = |(re, im): (f64, f64)| 2.0 * (re * re + im * im).sqrt() / wsum;
            let (a_lo, a_hi) = (amp(z_lo), amp(z_hi));
            let power: f64 = w
                .iter()
                .zip(&hann)
                .map(|(&v, &h)| f64::from(v * h) * f64::from(v * h))
                .sum::<f64>()
                / w2sum;
            f.lo.push(a_lo);
            f.hi.push(a_hi);
            // Each window is demodulated from its own start, so a tone's phase advances by
            // its whole frequency times the window's start; taking away the nominal part
            // leaves the slow advance of its offset from nominal (a few degrees per frame).
            let start = (k * HOP) as f64 / f64::from(RECEIVER_RATE);
            f.lo_phase
                .push(z_lo.1.atan2(z_lo.0) - std::f64::consts::TAU * f_lo * start);
            f.hi_phase
                .push(z_hi.1.atan2(z_hi.0) - std::f64::consts::TAU * f_hi * start);
            f.purity.push(if power > 0.0 {
                (a_lo * a_lo + a_hi * a_hi) / 2.0 / power
            } else {
                0.0
            });
        }
        f
    }

    fn twist_db(&self, k: usize) -> f64 {
        20.0 * (self.lo[k].max(1e-12) / self.hi[k].max(1e-12)).log10()
    }
}

/// Measures the candidate `seg` (samples from `offset` on) for digit `d` and pushes the
/// digits it holds.
pub(super) fn validate_region(
    seg: &[f32],
    offset: usize,
    d: u8,
    cfg: &DtmfConfig,
    out: &mut Vec<DtmfEvent>,
) {
    if seg.len() < 2 * WIN {
        return;
    }
    let (r, c) = ((d / 4) as usize, (d % 4) as usize);
    let (f_lo, f_hi) = (ROW_FREQS[r], COL_FREQS[c]);
    let frames = Frames::measure(seg, f_lo, f_hi);
    let floor = sine_amplitude_dbm0(cfg.min_level_dbm0 - FRAME_FLOOR_DB);
    let on: Vec<bool> = (0..frames.lo.len())
        .map(|k| {
            let twist = frames.twist_db(k);
            frames.lo[k] >= floor
                && frames.hi[k] >= floor
                && frames.purity[k] >= EDGE_PURITY
                && twist <= cfg.max_normal_twist_db + FRAME_TWIST_MARGIN_DB
                && -twist <= cfg.max_reverse_twist_db + FRAME_TWIST_MARGIN_DB
        })
        .collect();
    let max_gap = (cfg.max_gap_ms * 8.0 / HOP as f64).round() as usize;
    for run in on_runs(&on, max_gap) {
        if let Some(e) = judge_run(seg, offset, &frames, &on, run, (r, c), cfg) {
            out.push(e);
        }
    }
}

/// A stretch of on-frames with short gaps bridged: first and last frame, and the longest
/// unbroken part (first, last).
#[derive(Clone, Copy)]
struct Run {
    first: usize,
    last: usize,
    body: (usize, usize),
}

fn on_runs(on: &[bool], max_gap: usize) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut k = 0;
    while k < on.len() {
        if !on[k] {
            k += 1;
            continue;
        }
        let mut e = k;
        while e + 1 < on.len() && on[e + 1] {
            e += 1;
        }
        match runs.last_mut() {
            Some(last) if k - last.last <= max_gap + 1 => {
                last.last = e;
                if e - k > last.body.1 - last.body.0 {
                    last.body = (k, e);
                }
            }
            _ => runs.push(Run {
                first: k,
                last: e,
                body: (k, e),
            }),
        }
        k = e + 1;
    }
    runs
}

/// The event for `run` when it passes every check.
fn judge_run(
    seg: &[f32],
    offset: usize,
    frames: &Frames,
    on: &[bool],
    run: Run,
    (r, c): (usize, usize),
    cfg: &DtmfConfig,
) -> Option<DtmfEvent> {
    let (s, e) = (run.first * HOP, ((run.last + 1) * HOP).min(seg.len()));
    if ((e - s) as f64 / 8.0) < cfg.min_tone_ms {
        return None;
    }
    let max_skew = (cfg.max_skew_ms * 8.0 / HOP as f64).round() as usize;
    if edge_skew(frames, run) > max_skew {
        return None;
    }
    let (f_lo, f_hi) = (ROW_FREQS[r], COL_FREQS[c]);
    // Frequencies on the interior of the longest unbroken stretch, away from its edges.
    let (bs, be) = (run.body.0 * HOP, ((run.body.1 + 1) * HOP).min(seg.len()));
    let trim = (be - bs) / 8;
    let body = &seg[bs + trim..be - trim];
    let (a_lo, fl) = measure_sinusoid(body, f_lo, RECEIVER_RATE)?;
    let (a_hi, fh) = measure_sinusoid(body, f_hi, RECEIVER_RATE)?;
    if (fl - f_lo).abs() > cfg.max_freq_dev * f_lo || (fh - f_hi).abs() > cfg.max_freq_dev * f_hi {
        return None;
    }
    let frames_on: Vec<usize> = (run.first..=run.last).filter(|&k| on[k]).collect();
    let median_of = |v: &dyn Fn(usize) -> f64| median(frames_on.iter().map(|&k| v(k)).collect());
    let (l_lo, l_hi) = (
        amplitude_to_dbov(median_of(&|k| frames.lo[k])),
        amplitude_to_dbov(median_of(&|k| frames.hi[k])),
    );
    if dbov_to_dbm0(l_lo.min(l_hi)) < cfg.min_level_dbm0 {
        return None;
    }
    let twist = median_of(&|k| frames.twist_db(k));
    if twist > cfg.max_normal_twist_db || -twist > cfg.max_reverse_twist_db {
        return None;
    }
    // The per-frame purity follows a tone through a codec's gain dips; speech whose harmonics
    // sit on a tone pair for a while passes it too. A DTMF tone is one steady sinusoid over
    // its whole body, so the two sinusoids fitted to the body must carry at least half of
    // its power, the same bar as at a tone's edge.
    let body_power = body
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        / body.len() as f64;
    if (a_lo * a_lo + a_hi * a_hi) / 2.0 < EDGE_PURITY * body_power {
        return None;
    }
    if median_of(&|k| frames.purity[k]) < cfg.min_purity {
        return None;
    }
    // A generator's tones keep their frequency; a codec may bend one of them at a frame
    // boundary, but voiced speech whose formants or harmonics pass a tone pair moves both.
    let glide_lo = glide(&frames.lo, &frames.lo_phase, run) / f_lo;
    let glide_hi = glide(&frames.hi, &frames.hi_phase, run) / f_hi;
    if glide_lo.min(glide_hi) > cfg.max_glide {
        return None;
    }
    Some(DtmfEvent {
        digit: KEYPAD[r][c],
        start_ms: (offset + s) as f64 / 8.0,
        end_ms: (offset + e) as f64 / 8.0,
        low_hz: fl,
        high_hz: fh,
        low_dbov: l_lo,
        high_dbov: l_hi,
    })
}

/// How far (Hz) a tone's frequency moves from the first to the last frame of `run`.
///
/// The frames' phases (against a fixed frequency, one time origin) of a steady tone lie on a
/// line; a tone gliding at a constant rate bends them into a parabola whose curvature is the
/// glide rate. The parabola is fitted by least squares weighted by each frame's power, so the
/// edges and dips of the tone, where its phase is noise, count little.
fn glide(amplitude: &[f64], phase: &[f64], run: Run) -> f64 {
    let frames = run.first..=run.last;
    let mid = (run.first + run.last) as f64 / 2.0;
    let seconds = |k: usize| (k as f64 - mid) * HOP as f64 / f64::from(RECEIVER_RATE);
    // Unwrap: the phase advances by far less than half a turn between 1 ms frames (a tone
    // within the accepted deviation is at most a few tens of hertz off its nominal frequency).
    let mut points: Vec<(f64, f64, f64)> = Vec::with_capacity(run.last + 1 - run.first);
    let mut previous = phase[run.first];
    for k in frames {
        previous += wrap_phase(phase[k] - previous);
        points.push((seconds(k), previous, amplitude[k] * amplitude[k]));
    }
    let Some([_, _, curvature]) = crate::stats::fit_parabola(&points) else {
        return 0.0;
    };
    // Instantaneous frequency is (c1 + 2·c2·t) / 2π.
    let duration = seconds(run.last) - seconds(run.first);
    (2.0 * curvature * duration / std::f64::consts::TAU).abs()
}

/// The larger of the onset and the end skew between the two tones, in frames.
///
/// Each tone's edge is where its envelope falls under half of its own level near that edge,
/// so a gain change elsewhere in the tone does not move it.
fn edge_skew(frames: &Frames, run: Run) -> usize {
    let n = frames.lo.len();
    let near_start = run.first..(run.first + EDGE_REF_FRAMES).min(run.last + 1);
    let near_end = run.last.saturating_sub(EDGE_REF_FRAMES).max(run.first)..run.last + 1;
    let onset = |a: &[f64]| {
        let half = 0.5 * median(a[near_start.clone()].to_vec());
        let mut k = run.first;
        while k > 0 && a[k - 1] >= half {
            k -= 1;
        }
        k
    };
    let end = |a: &[f64]| {
        let half = 0.5 * median(a[near_end.clone()].to_vec());
        let mut k = run.last;
        while k + 1 < n && a[k + 1] >= half {
            k += 1;
        }
        k
    };
    let skew_on = onset(&frames.lo).abs_diff(onset(&frames.hi));
    let skew_off = end(&frames.lo).abs_diff(end(&frames.hi));
    skew_on.max(skew_off)
}

/// The median of `v` (the upper middle one), 0 for none.
fn median(mut v: Vec<f64>) -> f64 {
    crate::stats::median(&mut v).unwrap_or(0.0)
}

/// Peak amplitude of a sine at `level_dbm0`.
fn sine_amplitude_dbm0(level_dbm0: f64) -> f64 {
    10f64.powf(dbm0_to_dbov(level_dbm0) / 20.0) * std::f64::consts::SQRT_2
}
