//! Tone segment detection: frequency, level, start and end of every steady tone.

use super::{amplitude_to_dbov, correlate, dbov_to_dbm0};
use realfft::RealFftPlanner;
use serde::Serialize;

/// One sinusoidal component of a tone segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneComponent {
    /// Frequency in Hz.
    pub freq_hz: f64,
    /// Level in dBov (ITU-T P.56, see [`crate::tone`]).
    pub level_dbov: f64,
}

/// A stretch of steady tone: one or more simultaneous components with their times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneSegment {
    /// Start in ms from the beginning of the input (half-amplitude point).
    pub start_ms: f64,
    /// End in ms from the beginning of the input (half-amplitude point).
    pub end_ms: f64,
    /// `end_ms − start_ms`.
    pub duration_ms: f64,
    /// Frequency of the strongest component in Hz.
    pub freq_hz: f64,
    /// Combined level of all components in dBov.
    pub level_dbov: f64,
    /// Combined level of all components in dBm0 (G.711 A-law reference).
    pub level_dbm0: f64,
    /// All components, strongest first.
    pub components: Vec<ToneComponent>,
}

impl ToneSegment {
    /// Whether one of the components lies within `tolerance` (fraction, 0.005 = 0.5%) of `freq_hz`.
    pub fn has_freq(&self, freq_hz: f64, tolerance: f64) -> bool {
        self.components
            .iter()
            .any(|c| (c.freq_hz - freq_hz).abs() <= tolerance * freq_hz)
    }

    /// Component frequencies sorted ascending.
    pub fn freqs_sorted(&self) -> Vec<f64> {
        let mut f: Vec<f64> = self.components.iter().map(|c| c.freq_hz).collect();
        f.sort_by(f64::total_cmp);
        f
    }
}

/// Limits of the tone detector.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneConfig {
    /// Shortest reported segment in ms.
    pub min_duration_ms: f64,
    /// Weakest reported segment (combined level) in dBov.
    pub min_level_dbov: f64,
    /// Share of a frame's power that its strongest components must carry for it to be tonal.
    pub min_tonality: f64,
    /// Most spectral peaks (of 32 ms frames) that may carry a tonal frame's power; close
    /// components such as 400+450 Hz or a modulated tone count as one peak at this resolution.
    pub max_frame_peaks: usize,
    /// Most components a tone may have.
    pub max_components: usize,
    /// Largest change (dB) of any component's amplitude across a segment's interior.
    pub max_level_swing_db: f64,
    /// Drop segments whose components include a fundamental below 500 Hz and its octave
    /// (voiced speech, sung or played notes).
    pub reject_voiced: bool,
    /// Components weaker than the strongest by more than this (dB) are ignored.
    pub component_range_db: f64,
}

impl Default for ToneConfig {
    fn default() -> Self {
        Self {
            min_duration_ms: 40.0,
            min_level_dbov: -60.0,
            min_tonality: 0.9,
            max_frame_peaks: 2,
            max_components: 3,
            max_level_swing_db: 3.0,
            reject_voiced: true,
            component_range_db: 20.0,
        }
    }
}

/// Detects steady tones in `samples` (−1.0..1.0) at `rate` with the default limits.
pub fn detect_tones(samples: &[f32], rate: u32) -> Vec<ToneSegment> {
    detect_tones_with(samples, rate, &ToneConfig::default())
}

/// One analysis frame's verdict: the peak frequencies (Hz, strongest first) when tonal.
type FramePeaks = Option<Vec<f64>>;

/// Stage one: 32 ms Hann frames without overlap, tonal when a few spectral peaks carry most of
/// the power.
fn frame_peaks(
    x: &[f32],
    rate: u32,
    cfg: &ToneConfig,
    planner: &mut RealFftPlanner<f32>,
) -> (usize, Vec<FramePeaks>) {
    let len = ((f64::from(rate) * 0.032).round() as usize).max(32);
    let nfft = len.next_power_of_two();
    let fft = planner.plan_fft_forward(nfft);
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let hann: Vec<f32> = (0..len)
        .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * (i as f64 + 0.5) / len as f64).cos()) as f32)
        .collect();
    let floor = 10f32.powf(cfg.min_level_dbov as f32 / 10.0);
    let bin_hz = f64::from(rate) / nfft as f64;
    // Hann main lobe half-width in bins of the padded transform.
    let lobe = (2.0 * nfft as f64 / len as f64).ceil() as usize;
    let min_bin = (60.0 / bin_hz).ceil() as usize;
    let mut power = vec![0.0f32; nfft / 2 + 1];
    let mut used = vec![false; nfft / 2 + 1];
    let mut out = Vec::with_capacity(x.len() / len + 1);
    for frame in x.chunks(len) {
        let n = frame.len() as f32;
        let mean = frame.iter().sum::<f32>() / n;
        let energy = frame.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
        if energy < floor || frame.len() < len / 2 {
            out.push(None);
            continue;
        }
        input.iter_mut().for_each(|v| *v = 0.0);
        for (i, &v) in frame.iter().enumerate() {
            input[i] = (v - mean) * hann[i];
        }
        if fft
            .process_with_scratch(&mut input, &mut spec, &mut scratch)
            .is_err()
        {
            out.push(None);
            continue;
        }
        let mut total = 0.0f32;
        for (p, c) in power.iter_mut().zip(spec.iter()) {
            *p = c.norm_sqr();
            total += *p;
        }
        used.iter_mut().for_each(|u| *u = false);
        let mut carried = 0.0f32;
        let mut peaks = Vec::with_capacity(cfg.max_frame_peaks);
        let mut strongest = 0.0f32;
        while peaks.len() < cfg.max_frame_peaks {
            let mut best = (0usize, 0.0f32);
            for k in min_bin..power.len() - 1 {
                if !used[k] && power[k] > best.1 {
                    best = (k, power[k]);
                }
            }
            let (k, pk) = best;
            if pk <= 0.0 || (strongest > 0.0 && pk < strongest * 1e-3) {
                break;
            }
            strongest = strongest.max(pk);
            let lo = k.saturating_sub(lobe);
            let hi = (k + lobe).min(power.len() - 1);
            for j in lo..=hi {
                if !used[j] {
                    used[j] = true;
                    carried += power[j];
                }
            }
            peaks.push(interpolate_peak(&power, k) * bin_hz);
            if carried >= cfg.min_tonality as f32 * total {
                break;
            }
        }
        if carried >= cfg.min_tonality as f32 * total {
            out.push(Some(peaks));
        } else {
            out.push(None);
        }
    }
    (len, out)
}

/// Peak position (in bins) by a parabola through the log powers around bin `k`.
fn interpolate_peak(power: &[f32], k: usize) -> f64 {
    if k == 0 || k + 1 >= power.len() {
        return k as f64;
    }
    let a = f64::from(power[k - 1].max(1e-30)).ln();
    let b = f64::from(power[k].max(1e-30)).ln();
    let c = f64::from(power[k + 1].max(1e-30)).ln();
    let den = a - 2.0 * b + c;
    if den.abs() < 1e-12 {
        return k as f64;
    }
    k as f64 + (0.5 * (a - c) / den).clamp(-0.5, 0.5)
}

/// Whether two frames' dominant peaks describe the same tone.
fn compatible(a: &[f64], b: &[f64], tol_hz: f64) -> bool {
    let near = |f: f64, set: &[f64]| set.iter().any(|&g| (f - g).abs() <= tol_hz.max(0.03 * f));
    near(a[0], b) && near(b[0], a)
}

/// Detects steady tones in `samples` (−1.0..1.0) at `rate` with explicit limits.
///
/// Stage one marks 32 ms frames as tonal when at most `max_components` spectral peaks carry
/// `min_tonality` of the frame's power, and groups consecutive tonal frames with the same
/// dominant peak. Stage two measures each group: components from a long zero-padded Hann
/// spectrum of its interior, levels by correlation, edges at the half-amplitude points of the
/// demodulated envelope (1 ms steps).
pub fn detect_tones_with(samples: &[f32], rate: u32, cfg: &ToneConfig) -> Vec<ToneSegment> {
    if rate < 1000 || samples.is_empty() {
        return Vec::new();
    }
    let mut planner = RealFftPlanner::<f32>::new();
    let (len, frames) = frame_peaks(samples, rate, cfg, &mut planner);
    let tol_hz = 1.5 * f64::from(rate) / len as f64;
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < frames.len() {
        let Some(first) = &frames[i] else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        let mut prev = first;
        while j < frames.len() {
            match &frames[j] {
                Some(p) if compatible(prev, p, tol_hz) => {
                    prev = p;
                    j += 1;
                }
                _ => break,
            }
        }
        // Voiced speech and played notes show a fundamental and its octave already here.
        let octave = |p: &Vec<f64>| {
            p.iter()
                .any(|&f| f < 500.0 && p.iter().any(|&g| (g - 2.0 * f).abs() <= 0.05 * 2.0 * f))
        };
        let voiced_frames = frames[i..j].iter().flatten().filter(|p| octave(p)).count();
        if !(cfg.reject_voiced && voiced_frames > 0) {
            groups.push((i * len, (j * len).min(samples.len())));
        }
        i = j;
    }
    let mut out = Vec::new();
    for (s, e) in groups {
        if let Some(seg) = measure_segment(samples, rate, s, e, len, cfg, &mut planner) {
            out.push(seg);
        }
    }
    out
}

/// Components (frequency, amplitude) of a steady stretch, strongest first.
pub(crate) fn components(
    x: &[f32],
    rate: u32,
    cfg: &ToneConfig,
    planner: &mut RealFftPlanner<f32>,
) -> Vec<(f64, f64)> {
    if x.len() < 16 {
        return Vec::new();
    }
    let nfft = (x.len() * 2).next_power_of_two().max(512);
    let fft = planner.plan_fft_forward(nfft);
    let mut input = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let n = x.len();
    for (i, &v) in x.iter().enumerate() {
        input[i] =
            v * (0.5 - 0.5 * (std::f64::consts::TAU * (i as f64 + 0.5) / n as f64).cos()) as f32;
    }
    if fft.process(&mut input, &mut spec).is_err() {
        return Vec::new();
    }
    let power: Vec<f32> = spec.iter().map(|c| c.norm_sqr()).collect();
    let bin_hz = f64::from(rate) / nfft as f64;
    let lobe = (2.0 * nfft as f64 / n as f64).ceil() as usize;
    let min_bin = (60.0 / bin_hz).ceil() as usize;
    let mut peaks: Vec<(usize, f32)> = (min_bin.max(1)..power.len() - 1)
        .filter(|&k| power[k] > power[k - 1] && power[k] >= power[k + 1])
        .map(|k| (k, power[k]))
        .collect();
    peaks.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some(&(_, top)) = peaks.first() else {
        return Vec::new();
    };
    let range = 10f32.powf(-cfg.component_range_db as f32 / 10.0);
    let mut chosen: Vec<usize> = Vec::new();
    for (k, p) in peaks {
        if p < top * range || chosen.len() >= cfg.max_components {
            break;
        }
        if chosen.iter().all(|&c| c.abs_diff(k) > lobe) {
            chosen.push(k);
        }
    }
    chosen
        .into_iter()
        .map(|k| {
            let f = interpolate_peak(&power, k) * bin_hz;
            let (re, im) = correlate(x, f, rate, None);
            (f, 2.0 * (re * re + im * im).sqrt() / n as f64)
        })
        .collect()
}

/// Whether the components look like a voice or an instrument: a fundamental below 500 Hz
/// together with its octave (within 3%). Call-progress tones, DTMF and test tones never are.
fn voiced(comps: &[(f64, f64)]) -> bool {
    comps.iter().any(|&(f, _)| {
        f < 500.0
            && comps
                .iter()
                .any(|&(g, _)| (g - 2.0 * f).abs() <= 0.03 * 2.0 * f)
    })
}

/// Whether every component keeps its amplitude across the interior `x`: measured on up to
/// four sub-blocks, each long enough to resolve the components from one another (shorter
/// stretches are not checked).
fn steady(x: &[f32], rate: u32, comps: &[(f64, f64)], cfg: &ToneConfig) -> bool {
    let fs = f64::from(rate);
    let mut min_sep = fs / 2.0;
    for (i, a) in comps.iter().enumerate() {
        for b in &comps[i + 1..] {
            min_sep = min_sep.min((a.0 - b.0).abs());
        }
    }
    // A rectangular block of 2/Δf seconds puts the neighbours two bins away.
    let need = (2.0 * fs / min_sep.max(1.0)).ceil() as usize;
    let blocks = (x.len() / need.max(1)).min(4);
    if blocks < 2 {
        return true;
    }
    let len = x.len() / blocks;
    let (lo, hi) = (
        10f64.powf(-cfg.max_level_swing_db / 20.0),
        10f64.powf(cfg.max_level_swing_db / 20.0),
    );
    let top = comps.first().map_or(0.0, |c| c.1);
    comps
        .iter()
        .filter(|c| c.1 >= 0.316 * top)
        .all(|&(f, amp)| {
            (0..blocks).all(|b| {
                let (re, im) = correlate(&x[b * len..(b + 1) * len], f, rate, None);
                let a = 2.0 * (re * re + im * im).sqrt() / len as f64;
                a >= lo * amp && a <= hi * amp
            })
        })
}

/// Stage two for one group of tonal frames spanning samples `s..e`.
#[allow(clippy::too_many_arguments)]
fn measure_segment(
    x: &[f32],
    rate: u32,
    s: usize,
    e: usize,
    frame: usize,
    cfg: &ToneConfig,
    planner: &mut RealFftPlanner<f32>,
) -> Option<ToneSegment> {
    // Interior: drop the partial first and last frames when there is enough left.
    let (is, ie) = if e - s >= 3 * frame {
        (s + frame, e - frame)
    } else {
        (s, e)
    };
    let max_len = rate as usize * 2;
    let (is, ie) = if ie - is > max_len {
        let mid = (is + ie) / 2;
        (mid - max_len / 2, mid + max_len / 2)
    } else {
        (is, ie)
    };
    let comps = components(&x[is..ie], rate, cfg, planner);
    if comps.is_empty()
        || (cfg.reject_voiced && voiced(&comps))
        || !steady(&x[is..ie], rate, &comps, cfg)
    {
        return None;
    }
    // Demodulated envelope power at a position (10 ms Hann window centred on it).
    let win = ((f64::from(rate) * 0.010).round() as usize).max(8);
    let hann: Vec<f32> = (0..win)
        .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * (i as f64 + 0.5) / win as f64).cos()) as f32)
        .collect();
    let wsum: f64 = hann.iter().map(|&w| f64::from(w)).sum();
    let mut buf = vec![0.0f32; win];
    let env = |pos: usize, buf: &mut Vec<f32>| -> f64 {
        for (i, b) in buf.iter_mut().enumerate() {
            let j = (pos + i).checked_sub(win / 2);
            *b = j.and_then(|j| x.get(j)).copied().unwrap_or(0.0);
        }
        comps
            .iter()
            .map(|&(f, _)| {
                let (re, im) = correlate(buf, f, rate, Some(&hann));
                (re * re + im * im) / (wsum * wsum)
            })
            .sum()
    };
    let mut refs: Vec<f64> = (0..16)
        .map(|k| env(is + (ie - is) * (2 * k + 1) / 32, &mut buf))
        .collect();
    refs.sort_by(f64::total_cmp);
    let reference = refs[refs.len() / 2];
    if reference <= 0.0 {
        return None;
    }
    let step = (rate as usize / 1000).max(1);
    let threshold = 0.25 * reference;
    // Half-amplitude crossing between `a` (below) and `b` (above), linearly interpolated.
    let half = 0.5 * reference.sqrt();
    let cross = |a: usize, va: f64, b: usize, vb: f64| -> f64 {
        let (ea, eb) = (va.sqrt(), vb.sqrt());
        if eb <= ea {
            return b as f64;
        }
        let t = ((half - ea) / (eb - ea)).clamp(0.0, 1.0);
        a as f64 + t * (b as f64 - a as f64)
    };
    // Start: coarse 4 ms steps, then 1 ms steps from the last position below threshold.
    let lo_bound = s.saturating_sub(frame);
    let hi_bound = (s + frame).min(e);
    let mut start = s as f64;
    let mut pos = lo_bound;
    while pos < hi_bound {
        if env(pos, &mut buf) >= threshold {
            let mut p = pos.saturating_sub(4 * step).max(lo_bound);
            let mut prev = (p, env(p, &mut buf));
            start = p as f64;
            while p <= pos {
                let v = env(p, &mut buf);
                if v >= threshold {
                    start = if p == prev.0 {
                        p as f64
                    } else {
                        cross(prev.0, prev.1, p, v)
                    };
                    break;
                }
                prev = (p, v);
                p += step;
            }
            break;
        }
        pos += 4 * step;
    }
    // End: the same from the other side.
    let lo_bound = e.saturating_sub(frame).max(start as usize);
    let hi_bound = (e + frame).min(x.len());
    let mut end = e as f64;
    let mut pos = hi_bound;
    while pos > lo_bound {
        if env(pos - 1, &mut buf) >= threshold {
            let mut p = (pos + 4 * step).min(hi_bound);
            let mut prev = (p, env(p - 1, &mut buf));
            end = p as f64;
            while p >= pos && p > 0 {
                let v = env(p - 1, &mut buf);
                if v >= threshold {
                    end = if p == prev.0 {
                        p as f64
                    } else {
                        cross(prev.0, prev.1, p, v)
                    };
                    break;
                }
                prev = (p, v);
                p = p.saturating_sub(step);
            }
            break;
        }
        pos = pos.saturating_sub(4 * step);
    }
    let (start, end) = (start.round() as usize, end.round() as usize);
    let ms = |n: usize| n as f64 * 1000.0 / f64::from(rate);
    let duration_ms = ms(end.saturating_sub(start));
    let power: f64 = comps.iter().map(|&(_, a)| a * a / 2.0).sum();
    let level_dbov = 10.0 * power.max(1e-24).log10();
    if duration_ms < cfg.min_duration_ms || level_dbov < cfg.min_level_dbov {
        return None;
    }
    Some(ToneSegment {
        start_ms: ms(start),
        end_ms: ms(end),
        duration_ms,
        freq_hz: comps[0].0,
        level_dbov,
        level_dbm0: dbov_to_dbm0(level_dbov),
        components: comps
            .iter()
            .map(|&(f, a)| ToneComponent {
                freq_hz: f,
                level_dbov: amplitude_to_dbov(a),
            })
            .collect(),
    })
}
