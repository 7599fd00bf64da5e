//! The P.862 perceptual model (clause 10.2): per-frame Bark spectra, frequency
//! and gain compensation, loudness, disturbance, realignment of bad intervals
//! and aggregation into the raw score.

use crate::align::{Alignment, Padded, Rate};
use crate::fft::{Ffts, next_pow2};
use crate::tables;
use realfft::num_complex::Complex;

const ZWICKER_POWER: f64 = 0.23;
/// Slightly below 3^(1/1.2): the exact test on ratio^1.2 decides near it.
const ASYM_MIN_RATIO: f64 = 2.49;
const SILENCE_5_SAMPLES: f64 = 500.0;
const THRESHOLD_BAD_FRAMES: f64 = 30.0;
const SMEAR_RANGE: usize = 2;
const MIN_BAD_FRAMES: usize = 5;
const SEARCH_RANGE_TRANSFORMS: i64 = 4;
const FRAMES_PER_SYLLABLE: usize = 20;
const MAX_SCALE: f64 = 5.0;
const MIN_SCALE: f64 = 3e-4;

/// Bark band layout of one sample rate.
pub(crate) struct Bands {
    pub n: usize,
    /// Modified Zwicker power per band.
    pub loud_pow: Vec<f64>,
    /// (threshold / 0.5)^power * Sl per band.
    pub loud_scale: Vec<f64>,
    pub bins: Vec<usize>,
    pub correction: Vec<f64>,
    pub sp: f64,
    pub sl: f64,
}

impl Bands {
    pub(crate) fn new(fs: i64) -> Self {
        let mut b = Self::layout(fs);
        for band in 0..b.n {
            let centre = tables::CENTRE_BARK[band];
            let h = if centre < 4.0 {
                6.0 / (centre + 2.0)
            } else {
                1.0
            };
            let p = ZWICKER_POWER * h.min(2.0).powf(0.15);
            b.loud_pow.push(p);
            b.loud_scale
                .push((tables::ABS_THRESH_POWER[band] / 0.5).powf(p) * b.sl);
        }
        b
    }

    fn layout(fs: i64) -> Self {
        if fs == 16000 {
            Bands {
                n: 49,
                loud_pow: Vec::new(),
                loud_scale: Vec::new(),
                bins: tables::BINS_PER_BAND_16K.to_vec(),
                correction: tables::POW_DENS_CORRECTION_16K.to_vec(),
                sp: 6.910853e-6,
                sl: 1.866055e-1,
            }
        } else {
            let mut bins = tables::BINS_PER_BAND_16K[..42].to_vec();
            bins[41] = tables::LAST_BAND_BINS_8K;
            let mut correction = tables::POW_DENS_CORRECTION_16K[..42].to_vec();
            correction[41] = tables::LAST_BAND_POW_DENS_CORRECTION_8K;
            Bands {
                n: 42,
                loud_pow: Vec::new(),
                loud_scale: Vec::new(),
                bins,
                correction,
                sp: 2.764344e-5,
                sl: 1.866055e-1,
            }
        }
    }
}

/// Output of the perceptual model.
pub(crate) struct ModelOutput {
    pub raw: f64,
    pub start_frame: usize,
    pub stop_frame: usize,
    pub frame_len: usize,
    /// Symmetric disturbance per frame, after level weighting and clipping.
    pub d: Vec<f64>,
    /// Asymmetric disturbance per frame.
    pub a: Vec<f64>,
    pub time_weight: Vec<f64>,
}

struct Spectra<'a> {
    bands: &'a Bands,
    nf: usize,
    win: Vec<f64>,
    buf: Vec<f64>,
    spec: Vec<Complex<f64>>,
}

impl Spectra<'_> {
    /// Bark power densities of the frame of `sig` starting at `start` (or zeros).
    fn bark(&mut self, sig: &Padded, start: i64, ffts: &mut Ffts, out: &mut [f64]) {
        for i in 0..self.nf {
            self.buf[i] = sig.at(start + i as i64) * self.win[i];
        }
        ffts.forward(&mut self.buf, &mut self.spec);
        self.spec[0].re = 0.0;
        self.spec[0].im = 0.0;
        let mut bin = 0usize;
        for (b, o) in out.iter_mut().enumerate() {
            let mut sum = 0.0;
            for _ in 0..self.bands.bins[b] {
                if bin < self.nf / 2 {
                    sum += self.spec[bin].norm_sqr();
                }
                bin += 1;
            }
            *o = sum * self.bands.correction[b] * self.bands.sp;
        }
    }
}

fn total_audible(dens: &[f64], factor: f64) -> f64 {
    dens.iter()
        .enumerate()
        .skip(1)
        .filter(|(b, h)| **h > factor * tables::ABS_THRESH_POWER[*b])
        .map(|(_, h)| *h)
        .sum()
}

fn loudness(bands: &Bands, dens: &[f64], out: &mut [f64]) {
    for (b, o) in out.iter_mut().enumerate() {
        let thr = tables::ABS_THRESH_POWER[b];
        let input = dens[b];
        *o = if input > thr {
            bands.loud_scale[b] * ((0.5 + 0.5 * input / thr).powf(bands.loud_pow[b]) - 1.0)
        } else {
            0.0
        };
    }
}

fn pseudo_lp(x: &[f64], p: f64) -> f64 {
    let mut total_w = 0.0;
    let mut sum = 0.0;
    for (b, v) in x.iter().enumerate().skip(1) {
        let w = tables::WIDTH_BARK[b];
        let h = v.abs() * w;
        sum += if p == 2.0 {
            h * h
        } else if p == 1.0 {
            h
        } else {
            h.powf(p)
        };
        total_w += w;
    }
    let mean = sum / total_w;
    let root = if p == 2.0 {
        mean.sqrt()
    } else if p == 1.0 {
        mean
    } else {
        mean.powf(1.0 / p)
    };
    root * total_w
}

/// Disturbances (symmetric, asymmetric) of one frame given the compensated
/// reference and the gain-compensated degraded Bark densities.
fn frame_disturbance(
    bands: &Bands,
    r: &[f64],
    d: &[f64],
    lr: &mut [f64],
    ld: &mut [f64],
) -> (f64, f64) {
    loudness(bands, r, lr);
    loudness(bands, d, ld);
    let nb = bands.n;
    let mut dist = vec![0.0; nb];
    for b in 0..nb {
        let diff = ld[b] - lr[b];
        let m = 0.25 * ld[b].min(lr[b]);
        dist[b] = if diff > m {
            diff - m
        } else if diff < -m {
            diff + m
        } else {
            0.0
        };
    }
    let sym = pseudo_lp(&dist, 2.0);
    for b in 0..nb {
        let ratio = (d[b] + 50.0) / (r[b] + 50.0);
        // ratio^1.2 < 3 (ratio below 3^(1/1.2)) gives no asymmetric disturbance.
        let h = if ratio < ASYM_MIN_RATIO {
            0.0
        } else {
            ratio.powf(1.2).min(12.0)
        };
        let h = if h < 3.0 { 0.0 } else { h };
        dist[b] *= h;
    }
    let asym = pseudo_lp(&dist, 1.0);
    (sym, asym)
}

fn delay_at(al: &Alignment, ds: i64, sample: i64) -> i64 {
    let mut u = al.count() as i64 - 1;
    while u >= 0 && al.start[u as usize] * ds > sample {
        u -= 1;
    }
    if u >= 0 {
        al.delay[u as usize]
    } else {
        al.delay[0]
    }
}

/// Delay (in samples) of the degraded signal against the reference within a
/// window, by envelope cross-correlation limited to +-`range` samples.
fn envelope_delay(a: &[f64], b: &[f64], range: i64, ffts: &mut Ffts) -> (i64, f64) {
    let n = a.len();
    let size = next_pow2(2 * n);
    let sa: f64 = a.iter().map(|v| v * v).sum::<f64>();
    let sb: f64 = b.iter().map(|v| v * v).sum::<f64>();
    if sa / size as f64 <= 1e-6 || sb / size as f64 <= 1e-6 {
        return (0, 0.0);
    }
    let norm = (sa * sb).sqrt();
    let mut x1 = vec![0.0; size];
    let mut x2 = vec![0.0; size];
    for i in 0..n {
        x1[i] = a[i].abs();
        x2[i] = b[i].abs();
    }
    let mut f1 = Vec::new();
    let mut f2 = Vec::new();
    ffts.forward(&mut x1, &mut f1);
    ffts.forward(&mut x2, &mut f2);
    for (p, q) in f1.iter_mut().zip(f2.iter()) {
        *p = p.conj() * *q;
    }
    ffts.inverse(&mut f1, &mut x1);
    let mut best = 0.0;
    let mut result = 0i64;
    for i in -range..=-1 {
        let h = x1[(i + size as i64) as usize].abs() / norm;
        if h > best {
            best = h;
            result = i;
        }
    }
    for i in 0..range {
        let h = x1[i as usize].abs() / norm;
        if h > best {
            best = h;
            result = i;
        }
    }
    (result, best)
}

fn lpq_weight(start: usize, stop: usize, p_syl: f64, p_time: f64, dist: &[f64], tw: &[f64]) -> f64 {
    let mut result_time = 0.0;
    let mut total_w = 0.0;
    let mut s = start;
    while s <= stop {
        let mut acc = 0.0;
        let mut count = 0usize;
        for f in s..s + FRAMES_PER_SYLLABLE {
            if f <= stop {
                acc += dist[f].powf(p_syl);
            }
            count += 1;
        }
        let syl = (acc / count as f64).powf(1.0 / p_syl);
        let w = tw[s - start];
        result_time += (w * syl).powf(p_time);
        total_w += w.powf(p_time);
        s += FRAMES_PER_SYLLABLE / 2;
    }
    if total_w <= 0.0 {
        return 0.0;
    }
    (result_time / total_w).powf(1.0 / p_time)
}

/// Aggregates a frame range into a raw score.
pub(crate) fn raw_of_range(out: &ModelOutput, start: usize, stop: usize) -> f64 {
    let dd = lpq_weight(
        start,
        stop,
        6.0,
        2.0,
        &out.d,
        &out.time_weight[start - out.start_frame..],
    );
    let da = lpq_weight(
        start,
        stop,
        6.0,
        2.0,
        &out.a,
        &out.time_weight[start - out.start_frame..],
    );
    4.5 - 0.1 * dd - 0.0309 * da
}

/// Re-evaluates the frames of bad intervals with a locally re-estimated delay
/// and keeps the smaller disturbances.
fn realign_bad_intervals(
    intervals: &[(usize, usize)],
    rs: &Padded,
    ds_sig: &Padded,
    al: &Alignment,
    rate: &Rate,
    bands: &Bands,
    sp: &mut Spectra<'_>,
    pr: &[f64],
    d: &mut [f64],
    a: &mut [f64],
    ffts: &mut Ffts,
) {
    let nb = bands.n;
    let nf = sp.nf as i64;
    let half = nf / 2;
    let sb = rate.sb();
    let pad = rate.pad();
    let max_n = rs.n.max(ds_sig.n);
    // Degraded signal shifted by the utterance delays.
    let nn = pad + max_n;
    let mut tweaked = Padded {
        data: vec![0.0; nn.max(0) as usize],
        n: max_n,
    };
    for i in sb..nn - sb {
        let j = (i + delay_at(al, rate.ds, i)).clamp(sb, nn - sb - 1);
        tweaked.data[i as usize] = ds_sig.at(j);
    }
    let range = SEARCH_RANGE_TRANSFORMS * nf;
    let limit = max_n - sb + pad;
    let mut delays = Vec::with_capacity(intervals.len());
    for &(s, e) in intervals {
        let start_sample = s as i64 * half + sb;
        let count = (e - s) as i64 * half + nf;
        let total = (count + 2 * range) as usize;
        let mut ref_series = vec![0.0; total];
        let mut deg_series = vec![0.0; total];
        for i in 0..count {
            ref_series[(i + range) as usize] = rs.at(start_sample + i);
        }
        for (i, v) in deg_series.iter_mut().enumerate() {
            let j = (start_sample - range + i as i64).clamp(sb, limit - 1);
            *v = tweaked.at(j);
        }
        let (delay, corr) = envelope_delay(&ref_series, &deg_series, range, ffts);
        delays.push(if corr < 0.5 { 0 } else { delay });
    }
    let mut doubly = tweaked.clone();
    for (&(s, e), &delay) in intervals.iter().zip(delays.iter()) {
        let start_sample = s as i64 * half + sb;
        let stop_sample = e as i64 * half + nf + sb;
        for i in start_sample..stop_sample {
            let j = (i + delay).clamp(0, max_n - 1);
            if let Some(slot) = doubly.data.get_mut(i as usize) {
                *slot = tweaked.at(j);
            }
        }
    }
    let mut lr = vec![0.0; nb];
    let mut ld = vec![0.0; nb];
    let mut dens = vec![0.0; nb];
    for &(s, e) in intervals {
        let mut old_scale = 1.0;
        for f in s..e {
            let sr = sb + f as i64 * half;
            sp.bark(&doubly, sr, ffts, &mut dens);
            let r = &pr[f * nb..(f + 1) * nb];
            let tr = total_audible(r, 1.0);
            let td = total_audible(&dens, 1.0);
            let mut scale = (tr + 5e3) / (td + 5e3);
            if f > 0 {
                scale = 0.2 * old_scale + 0.8 * scale;
            }
            old_scale = scale;
            let scale = scale.clamp(MIN_SCALE, MAX_SCALE);
            for v in dens.iter_mut() {
                *v *= scale;
            }
            let (s2, a2) = frame_disturbance(bands, r, &dens, &mut lr, &mut ld);
            d[f] = d[f].min(s2);
            a[f] = a[f].min(a2);
        }
    }
}

/// Runs the perceptual model on the level-aligned, input-filtered signals.
pub(crate) fn run(
    rs: &Padded,
    ds_sig: &Padded,
    al: &Alignment,
    rate: &Rate,
    ffts: &mut Ffts,
) -> Option<ModelOutput> {
    let bands = Bands::new(rate.fs);
    let nb = bands.n;
    let ds = rate.ds;
    let nf = (ds * 8) as usize;
    let half = nf as i64 / 2;
    let sb = rate.sb();
    let pad = rate.pad();
    let max_n = rs.n.max(ds_sig.n);

    // Skip silence at the start and end of the reference.
    let mut skip_start = 0i64;
    loop {
        let s: f64 = (0..5).map(|i| rs.at(sb + skip_start + i).abs()).sum();
        if s < SILENCE_5_SAMPLES && skip_start < max_n / 2 {
            skip_start += 1;
        } else {
            break;
        }
    }
    let mut skip_end = 0i64;
    loop {
        let s: f64 = (0..5)
            .map(|i| rs.at(max_n - sb + pad - 1 - skip_end - i).abs())
            .sum();
        if s < SILENCE_5_SAMPLES && skip_end < max_n / 2 {
            skip_end += 1;
        } else {
            break;
        }
    }
    let start_frame = (skip_start / half).max(0) as usize;
    let stop_frame_i = (max_n - 2 * sb + pad - skip_end) / half - 1;
    if stop_frame_i < start_frame as i64 || stop_frame_i < 1 {
        return None;
    }
    let stop_frame = stop_frame_i as usize;
    let nframes = stop_frame + 1;

    let mut sp = Spectra {
        bands: &bands,
        nf,
        win: (0..nf)
            .map(|i| 0.5 * (1.0 - (2.0 * std::f64::consts::PI * i as f64 / nf as f64).cos()))
            .collect(),
        buf: vec![0.0; nf],
        spec: Vec::new(),
    };

    let mut pr = vec![0.0; nframes * nb];
    let mut pd = vec![0.0; nframes * nb];
    let mut silent = vec![false; nframes];
    let deg_limit = max_n + pad;
    for f in 0..nframes {
        let sr = sb + f as i64 * half;
        sp.bark(rs, sr, ffts, &mut pr[f * nb..(f + 1) * nb]);
        let sd = sr + delay_at(al, ds, sr);
        if sd > 0 && sd + (nf as i64) < deg_limit {
            sp.bark(ds_sig, sd, ffts, &mut pd[f * nb..(f + 1) * nb]);
        } else {
            pd[f * nb..(f + 1) * nb].fill(0.0);
        }
        silent[f] = total_audible(&pr[f * nb..(f + 1) * nb], 1e2) < 1e7;
    }

    // Frequency response compensation of the reference.
    let total_frames = ((max_n - 2 * sb + pad) / half - 1).max(1) as f64;
    let avg = |p: &[f64], b: usize| -> f64 {
        let mut s = 0.0;
        for f in 0..nframes {
            if !silent[f] {
                let h = p[f * nb + b];
                if h > 100.0 * tables::ABS_THRESH_POWER[b] {
                    s += h;
                }
            }
        }
        s / total_frames
    };
    for b in 0..nb {
        let ar = avg(&pr, b);
        let ad = avg(&pd, b);
        let x = ((ad + 1000.0) / (ar + 1000.0)).clamp(0.01, 100.0);
        for f in 0..nframes {
            pr[f * nb + b] *= x;
        }
    }

    let mut lr = vec![0.0; nb];
    let mut ld = vec![0.0; nb];
    let mut d = vec![0.0; nframes];
    let mut a = vec![0.0; nframes];
    let mut total_power_ref = vec![0.0; nframes];
    let mut old_scale = 1.0;
    let mut degf = vec![0.0; nb];
    for f in 0..nframes {
        let r = &pr[f * nb..(f + 1) * nb];
        let tr = total_audible(r, 1.0);
        let td = total_audible(&pd[f * nb..(f + 1) * nb], 1.0);
        total_power_ref[f] = tr;
        let mut scale = (tr + 5e3) / (td + 5e3);
        if f > 0 {
            scale = 0.2 * old_scale + 0.8 * scale;
        }
        old_scale = scale;
        let scale = scale.clamp(MIN_SCALE, MAX_SCALE);
        for b in 0..nb {
            degf[b] = pd[f * nb + b] * scale;
        }
        let (s, asym) = frame_disturbance(&bands, r, &degf, &mut lr, &mut ld);
        d[f] = s;
        a[f] = asym;
    }

    let any_bad = d.iter().any(|&v| v > THRESHOLD_BAD_FRAMES);
    // Frames skipped where the delay decreases between utterances.
    for u in 1..al.count() {
        let mut f1 = ((al.start[u] - crate::align::SEARCH_BUFFER) * ds + al.delay[u]) / half;
        let j = ((al.end[u - 1] - crate::align::SEARCH_BUFFER) * ds + al.delay[u - 1]) / half;
        let jump = al.delay[u] - al.delay[u - 1];
        if f1 > j {
            f1 = j;
        }
        if f1 < 0 {
            f1 = 0;
        }
        if jump < -half {
            let f2 = ((al.start[u] - crate::align::SEARCH_BUFFER) * ds + jump.abs()) / half + 1;
            let mut f = f1;
            while f <= f2 {
                if (f as usize) < stop_frame {
                    d[f as usize] = 0.0;
                    a[f as usize] = 0.0;
                }
                f += 1;
            }
        }
    }

    // Realign bad intervals.
    if any_bad {
        let mut bad = vec![false; nframes];
        for f in 1..nframes {
            bad[f] = d[f] > THRESHOLD_BAD_FRAMES;
        }
        let mut smeared = vec![false; nframes];
        if stop_frame > 2 * SMEAR_RANGE {
            for f in SMEAR_RANGE..stop_frame - SMEAR_RANGE {
                let left = (f - SMEAR_RANGE..=f).any(|i| bad[i]);
                let right = (f..=f + SMEAR_RANGE).any(|i| bad[i]);
                smeared[f] = left && right;
            }
        }
        // Bad intervals as [first bad frame, first good frame).
        let mut intervals = Vec::new();
        let mut f = 0usize;
        while f <= stop_frame {
            while f <= stop_frame && !smeared[f] {
                f += 1;
            }
            if f <= stop_frame {
                let s = f;
                while f <= stop_frame && smeared[f] {
                    f += 1;
                }
                if f <= stop_frame && f - s >= MIN_BAD_FRAMES {
                    intervals.push((s, f));
                }
            }
        }
        if !intervals.is_empty() {
            realign_bad_intervals(
                &intervals, rs, ds_sig, al, rate, &bands, &mut sp, &pr, &mut d, &mut a, ffts,
            );
        }
    }

    // Time weighting for long signals.
    let mut time_weight = vec![1.0; nframes];
    if nframes > 1000 {
        let n = ((max_n - 2 * sb) / half - 1) as f64;
        let twf = ((n - 1000.0) / 5500.0).min(0.5);
        for (f, w) in time_weight.iter_mut().enumerate() {
            *w = (1.0 - twf) + twf * f as f64 / n;
        }
    }
    for f in 0..nframes {
        let h = ((total_power_ref[f] + 1e5) / 1e7).powf(0.04);
        d[f] = (d[f] / h).min(45.0);
        a[f] = (a[f] / h).min(45.0);
    }
    let mut out = ModelOutput {
        raw: 0.0,
        start_frame,
        stop_frame,
        frame_len: nf,
        d,
        a,
        time_weight,
    };
    out.raw = raw_of_range(&out, start_frame, stop_frame);
    Some(out)
}
