//! Level alignment, input filtering, voice activity and time alignment
//! (P.862 clause 10.1): the delay of every utterance of the reference in the
//! degraded signal.

use crate::fft::{Ffts, next_pow2};
use crate::tables;
use std::sync::Arc;

/// Search margin around utterances, in VAD windows.
pub(crate) const SEARCH_BUFFER: i64 = 75;
/// Zero padding appended after the file, in milliseconds.
pub(crate) const DATA_PADDING_MS: i64 = 320;
/// Minimum utterance length, in VAD windows.
const MIN_UTT_LENGTH: i64 = 50;
/// Speech bursts up to this many windows are discarded by the VAD.
const MIN_SPEECH_LENGTH: i64 = 4;
/// Gaps up to this many windows are joined by the VAD.
const JOIN_SPEECH_LENGTH: i64 = 50;
/// Maximum number of utterances (the last slot is the scratch slot for split tests).
pub(crate) const MAX_UTTERANCES: usize = 50;
/// Target average power after level alignment.
const TARGET_AVG_POWER: f64 = 1e7;

/// Rate-dependent processing constants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rate {
    /// Sample rate in Hz (8000 or 16000).
    pub fs: i64,
    /// Samples per VAD window.
    pub ds: i64,
    /// FFT length of the fine time alignment.
    pub align_nfft: usize,
}

impl Rate {
    pub(crate) fn new(fs: u32) -> Self {
        if fs == 16000 {
            Rate {
                fs: 16000,
                ds: 64,
                align_nfft: 1024,
            }
        } else {
            Rate {
                fs: 8000,
                ds: 32,
                align_nfft: 512,
            }
        }
    }
    /// Padding samples before the file (and after it, inside `n`).
    pub(crate) fn sb(&self) -> i64 {
        SEARCH_BUFFER * self.ds
    }
    /// Extra zero samples after the padded signal.
    pub(crate) fn pad(&self) -> i64 {
        DATA_PADDING_MS * (self.fs / 1000)
    }
}

/// A signal laid out as the algorithm expects: `sb` zeros, the file, `sb` zeros
/// (`n` samples so far) and `pad` more zeros.
#[derive(Clone, Debug)]
pub(crate) struct Padded {
    pub data: Vec<f64>,
    pub n: i64,
}

impl Padded {
    pub(crate) fn new(samples: &[f64], rate: &Rate) -> Self {
        let sb = rate.sb() as usize;
        let n = samples.len() + 2 * sb;
        let mut data = vec![0.0; n + rate.pad() as usize];
        data[sb..sb + samples.len()].copy_from_slice(samples);
        Padded { data, n: n as i64 }
    }
    #[inline]
    pub(crate) fn at(&self, i: i64) -> f64 {
        if i < 0 {
            0.0
        } else {
            self.data.get(i as usize).copied().unwrap_or(0.0)
        }
    }
}

/// Linear interpolation of a (Hz, dB) response.
fn response_db(curve: &[(f64, f64)], freq: f64) -> f64 {
    let first = curve[0];
    if freq <= first.0 {
        return first.1;
    }
    for w in curve.windows(2) {
        let (f0, d0) = w[0];
        let (f1, d1) = w[1];
        if freq <= f1 {
            return d0 + (freq - f0) * (d1 - d0) / (f1 - f0);
        }
    }
    curve[curve.len() - 1].1
}

/// A (Hz, dB) frequency response, named so its per-size gain tables can be cached.
pub(crate) struct Response {
    /// Cache key.
    pub name: &'static str,
    /// Breakpoints, interpolated linearly in dB.
    pub curve: &'static [(f64, f64)],
}

/// The P.862 level-alignment filter (300 Hz to 3.25 kHz).
pub(crate) const LEVEL_FILTER: Response = Response {
    name: "level",
    curve: &tables::LEVEL_FILTER_DB,
};

/// The P.862 IRS receive characteristic (narrowband only).
pub(crate) const IRS_FILTER: Response = Response {
    name: "irs",
    curve: &tables::IRS_FILTER_DB,
};

/// Linear gain per bin of a real FFT of `size` samples, normalised to 0 dB at 1 kHz.
fn response_gains(response: &Response, size: usize, rate: &Rate, ffts: &mut Ffts) -> Arc<[f64]> {
    ffts.table(response.name, size, rate.fs, || {
        let gain_1k = response_db(response.curve, 1000.0);
        (0..=size / 2)
            .map(|i| {
                let freq = i as f64 * rate.fs as f64 / size as f64;
                10f64.powf((response_db(response.curve, freq) - gain_1k) / 20.0)
            })
            .collect()
    })
}

/// Level alignment (P.862 10.1.1): scales a signal so that its power between
/// 300 Hz and 3.25 kHz is the target, then applies `response` (if any) to the
/// file part and the padding after it. Both filters work on one forward
/// transform of the signal. Returns the applied gain.
pub(crate) fn align_level(
    sig: &mut Padded,
    max_n: i64,
    rate: &Rate,
    ffts: &mut Ffts,
    response: Option<&Response>,
) -> f64 {
    let sb = rate.sb() as usize;
    let len = (sig.n - 2 * rate.sb() + rate.pad()).max(0) as usize;
    let size = next_pow2(len);
    let mut x = vec![0.0; size];
    x[..len].copy_from_slice(&sig.data[sb..sb + len]);
    let mut spec = Vec::new();
    ffts.forward(&mut x, &mut spec);
    let level = response_gains(&LEVEL_FILTER, size, rate, ffts);
    let mut filtered: Vec<_> = spec.iter().zip(level.iter()).map(|(c, g)| c * g).collect();
    ffts.inverse(&mut filtered, &mut x);
    // The power is taken over the file and the padding after it, divided by
    // the longer signal's length, as the Recommendation does.
    let power =
        x[..len].iter().map(|v| v * v).sum::<f64>() / (max_n - 2 * rate.sb() + rate.pad()) as f64;
    let gain = if power > 0.0 {
        (TARGET_AVG_POWER / power).sqrt()
    } else {
        1.0
    };
    match response {
        Some(response) => {
            let gains = response_gains(response, size, rate, ffts);
            for (c, g) in spec.iter_mut().zip(gains.iter()) {
                *c *= g * gain;
            }
            ffts.inverse(&mut spec, &mut x);
            sig.data[sb..sb + len].copy_from_slice(&x[..len]);
        }
        None => {
            let n = sig.n as usize;
            for v in sig.data[..n].iter_mut() {
                *v *= gain;
            }
        }
    }
    gain
}

/// Runs a cascade of `M` second-order sections (b0, b1, b2, a1, a2) over each
/// of `L` signals.
///
/// Each section is one long dependency chain, so the cascade runs as a
/// wavefront: at step `t` section `s` works on sample `t - s` of every signal,
/// and the `M * L` section-signal pairs of a step are independent of each
/// other. Lanes that have not reached their signal yet (or have passed its
/// end) work on zeros, which leaves a zero state untouched, and their outputs
/// are dropped. The arithmetic per sample and section is that of the plain
/// cascade, so is the result.
pub(crate) fn iir_sos<const M: usize, const L: usize>(
    sections: &[[f64; 5]; M],
    mut xs: [&mut [f64]; L],
) {
    let n = xs.iter().map(|x| x.len()).max().unwrap_or(0);
    if M == 0 || n == 0 {
        return;
    }
    let coef = |k: usize| -> [f64; M] { std::array::from_fn(|s| sections[s][k]) };
    let (b0, b1, b2, a1, a2) = (coef(0), coef(1), coef(2), coef(3), coef(4));
    let mut z1 = [[0.0f64; L]; M];
    let mut z2 = [[0.0f64; L]; M];
    let mut y = [[0.0f64; L]; M];
    for t in 0..n + M - 1 {
        let mut input = [[0.0f64; L]; M];
        for (l, x) in xs.iter().enumerate() {
            input[0][l] = x.get(t).copied().unwrap_or(0.0);
        }
        input[1..].copy_from_slice(&y[..M - 1]);
        for s in 0..M {
            for l in 0..L {
                let v = input[s][l];
                y[s][l] = b0[s] * v + z1[s][l];
                z1[s][l] = b1[s] * v - a1[s] * y[s][l] + z2[s][l];
                z2[s][l] = b2[s] * v - a2[s] * y[s][l];
            }
        }
        if t + 1 >= M {
            for (l, x) in xs.iter_mut().enumerate() {
                if let Some(out) = x.get_mut(t + 1 - M) {
                    *out = y[M - 1][l];
                }
            }
        }
    }
}

/// P.862.2 input filter: 16-sample fades at both ends of the file, then the
/// high-pass section over the file samples only.
pub(crate) fn wideband_input_filter(sig: &mut Padded, sos: &[f64; 5], rate: &Rate) {
    let sb = rate.sb() as usize;
    let n = sig.n as usize;
    if n <= 2 * sb {
        return;
    }
    for i in 0..16usize {
        let g = i as f64 / 16.0;
        if let Some(v) = (sb + i).checked_sub(1).and_then(|k| sig.data.get_mut(k)) {
            *v *= g;
        }
        if let Some(v) = sig.data.get_mut(n - sb - i) {
            *v *= g;
        }
    }
    iir_sos(&[*sos], [&mut sig.data[sb..n - sb]]);
}

/// DC removal with short fades at both ends, then the alignment pre-filter,
/// for the reference and the degraded signal together.
pub(crate) fn alignment_filter(sigs: [&mut Padded; 2], rate: &Rate) {
    let sb = rate.sb() as usize;
    let [a, b] = sigs;
    for sig in [&mut *a, &mut *b] {
        let n = sig.n as usize;
        if n > 2 * sb {
            let body = &mut sig.data[sb..n - sb];
            // The mean is taken over the padded length, as the Recommendation does.
            let mean = body.iter().sum::<f64>() / n as f64;
            for v in body.iter_mut() {
                *v -= mean;
            }
            let ds = rate.ds as usize;
            let len = body.len();
            for i in 0..ds.min(len) {
                let g = (0.5 + i as f64) / ds as f64;
                body[i] *= g;
                body[len - 1 - i] *= g;
            }
        }
    }
    let data = [&mut a.data[..], &mut b.data[..]];
    if rate.fs == 16000 {
        iir_sos(&tables::ALIGN_IIR_16K, data);
    } else {
        iir_sos(&tables::ALIGN_IIR_8K, data);
    }
}

/// Voice activity of a signal: energy per window (0 where inactive) and its log
/// above the speech threshold.
pub(crate) struct Vad {
    pub vad: Vec<f64>,
    pub log_vad: Vec<f64>,
}

/// Computes voice activity on windows of `ds` samples.
pub(crate) fn voice_activity(sig: &Padded, rate: &Rate) -> Vad {
    // Single precision, as in the Recommendation's reference implementation:
    // speech/silence decisions near the threshold depend on it.
    type F = f32;
    let ds = rate.ds as usize;
    let nw = (sig.n / rate.ds).max(0) as usize;
    let mut vad: Vec<F> = (0..nw)
        .map(|w| {
            sig.data[w * ds..(w + 1) * ds]
                .iter()
                .fold(0.0 as F, |acc, v| acc + (*v as F) * (*v as F))
                / ds as F
        })
        .collect();
    if nw < 4 {
        return Vad {
            log_vad: vec![0.0; nw],
            vad: vec![0.0; nw],
        };
    }
    let mut thresh = vad.iter().fold(0.0 as F, |a, v| a + v) / nw as F;
    let peak = vad.iter().cloned().fold(0.0, F::max);
    let level_min = if peak > 0.0 { peak * 1e-4 } else { 1.0 };
    for v in vad.iter_mut() {
        if *v < level_min {
            *v = level_min;
        }
    }
    for _ in 0..12 {
        let mut noise: F = 0.0;
        let mut std: F = 0.0;
        let mut count = 0usize;
        for &v in &vad {
            if v <= thresh {
                noise += v;
                count += 1;
            }
        }
        if count > 0 {
            noise /= count as F;
            for &v in &vad {
                if v <= thresh {
                    std += (v - noise) * (v - noise);
                }
            }
            std = (std / count as F).sqrt();
        }
        thresh = 1.001 * (noise + 2.0 * std);
    }
    let mut noise: F = 0.0;
    let mut sig_level: F = 0.0;
    let mut count = 0usize;
    for &v in &vad {
        if v > thresh {
            sig_level += v;
            count += 1;
        } else {
            noise += v;
        }
    }
    if count > 0 {
        sig_level /= count as F;
    } else {
        thresh = -1.0;
    }
    if count < nw {
        noise /= (nw - count) as F;
    } else {
        noise = 1.0;
    }
    for v in vad.iter_mut() {
        if *v <= thresh {
            *v = -*v;
        }
    }
    vad[0] = -level_min;
    vad[nw - 1] = -level_min;

    // Drop very short bursts.
    let mut start = 0usize;
    for c in 1..nw {
        if vad[c] > 0.0 && vad[c - 1] <= 0.0 {
            start = c;
        }
        if vad[c] <= 0.0 && vad[c - 1] > 0.0 && (c - start) as i64 <= MIN_SPEECH_LENGTH {
            for v in vad[start..c].iter_mut() {
                *v = -*v;
            }
        }
    }
    // With a clean signal, drop weak bursts.
    if sig_level >= noise * 1000.0 {
        for c in 1..nw {
            if vad[c] > 0.0 && vad[c - 1] <= 0.0 {
                start = c;
            }
            if vad[c] <= 0.0 && vad[c - 1] > 0.0 {
                let g: F = vad[start..c].iter().fold(0.0, |a, v| a + v);
                if g < 3.0 * thresh * (c - start) as F {
                    for v in vad[start..c].iter_mut() {
                        *v = -*v;
                    }
                }
            }
        }
    }
    // Join bursts separated by short gaps.
    let mut finish = 0usize;
    for c in 1..nw {
        if vad[c] > 0.0 && vad[c - 1] <= 0.0 {
            let s = c;
            if finish > 0 && (s - finish) as i64 <= JOIN_SPEECH_LENGTH {
                for v in vad[finish..s].iter_mut() {
                    *v = level_min;
                }
            }
        }
        if vad[c] <= 0.0 && vad[c - 1] > 0.0 {
            finish = c;
        }
    }
    let any_start = (1..nw).any(|c| vad[c] > 0.0 && vad[c - 1] <= 0.0);
    if !any_start {
        for v in vad.iter_mut() {
            *v = v.abs();
        }
        vad[0] = -level_min;
        vad[nw - 1] = -level_min;
    }
    // Soften the edges of speech.
    let mut c = 3usize;
    while c + 2 < nw {
        if vad[c] > 0.0 && vad[c - 2] <= 0.0 {
            vad[c - 2] = vad[c] * 0.1;
            vad[c - 1] = vad[c] * 0.3;
            c += 1;
        }
        if vad[c] <= 0.0 && vad[c - 1] > 0.0 {
            vad[c] = vad[c - 1] * 0.3;
            vad[c + 1] = vad[c - 1] * 0.1;
            c += 3;
        }
        c += 1;
    }
    for v in vad.iter_mut() {
        if *v < 0.0 {
            *v = 0.0;
        }
    }
    if thresh <= 0.0 {
        thresh = level_min;
    }
    let log_vad = vad
        .iter()
        .map(|&v| {
            if v <= thresh {
                0.0
            } else {
                (v / thresh).ln() as f64
            }
        })
        .collect();
    Vad {
        vad: vad.iter().map(|&v| v as f64).collect(),
        log_vad,
    }
}

/// Utterance bookkeeping of the alignment, all positions in VAD windows of the
/// padded reference, delays in samples.
#[derive(Clone, Debug, Default)]
pub(crate) struct Alignment {
    pub search_start: Vec<i64>,
    pub search_end: Vec<i64>,
    pub delay_est: Vec<i64>,
    pub delay: Vec<i64>,
    pub conf: Vec<f64>,
    pub start: Vec<i64>,
    pub end: Vec<i64>,
}

impl Alignment {
    pub(crate) fn count(&self) -> usize {
        self.start.len()
    }
}

/// Envelope (log-VAD) cross-correlation of a stretch of the reference starting at
/// window `startr` (`nr` windows) with the degraded from window `startd`.
/// Returns the lag in windows.
fn envelope_lag(
    rv: &[f64],
    dv: &[f64],
    startr: i64,
    nr: i64,
    startd: i64,
    nd: i64,
    ffts: &mut Ffts,
    trace: Option<&mut WindowTrace>,
) -> i64 {
    if nr <= 1 || nd <= 1 || startr < 0 || startd < 0 {
        return 0;
    }
    let (sr, sd) = (startr as usize, startd as usize);
    let er = (sr + nr as usize).min(rv.len());
    let ed = (sd + nd as usize).min(dv.len());
    if er <= sr + 1 || ed <= sd + 1 {
        return 0;
    }
    let y = ffts.correlate(&rv[sr..er], &dv[sd..ed]);
    if let Some(t) = trace {
        t.overwrite(&rv[sr..er], &dv[sd..ed], ffts);
    }
    let nr = (er - sr) as i64;
    let mut best = 0.0;
    let mut imax = nr - 1;
    for (i, &v) in y.iter().enumerate() {
        if v > best {
            best = v;
            imax = i as i64;
        }
    }
    imax - (nr - 1)
}

/// Crude (envelope) delay of the whole signal, in samples.
pub(crate) fn crude_whole(rv: &Vad, dv: &Vad, rate: &Rate, ffts: &mut Ffts) -> i64 {
    let nr = rv.log_vad.len() as i64;
    let nd = dv.log_vad.len() as i64;
    envelope_lag(&rv.log_vad, &dv.log_vad, 0, nr, 0, nd, ffts, None) * rate.ds
}

/// The fine-alignment window of the split search as the Recommendation's
/// reference implementation leaves it: its envelope cross-correlations share a
/// scratch buffer with that window, and correlations longer than the window's
/// offset in the buffer (3 * nfft + 6 values) overwrite its first values. The
/// published conformance scores depend on this, so it is reproduced here.
///
/// Where the envelopes do not overlap the correlation is zero, and what lands
/// in the window is the transform's rounding noise. That noise has to be at
/// single-precision level: with double-precision noise a leftover Hann sample
/// of 4e-5 dominates such a window, every frame then votes for lag 0, and
/// utterances get split where the reference does not split them. So these
/// correlations are recomputed in `f32`, normalised.
pub(crate) struct WindowTrace {
    offset: usize,
    window: Vec<f64>,
}

impl WindowTrace {
    fn new(nfft: usize) -> Self {
        WindowTrace {
            offset: 3 * nfft + 6,
            window: hann(nfft),
        }
    }

    /// Overwrites the window with the values of the cross-correlation of `x1`
    /// and `x2` (laid out as [`Ffts::correlate`] does) from the buffer offset on.
    fn overwrite(&mut self, x1: &[f64], x2: &[f64], ffts: &mut Ffts) {
        if x1.len() + x2.len() <= self.offset + 1 {
            return;
        }
        let y = ffts.correlate_f32(x1, x2);
        for (w, &v) in self.window.iter_mut().zip(&y[self.offset..]) {
            *w = v;
        }
    }
}

fn hann(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.5 * (1.0 - (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()))
        .collect()
}

/// Crude delay of a reference stretch [s, e) (VAD windows) given a prior delay
/// estimate in samples; returns the refined estimate in samples.
fn crude_part(
    rv: &Vad,
    dv: &Vad,
    deg_n: i64,
    s: i64,
    e: i64,
    prior: i64,
    rate: &Rate,
    ffts: &mut Ffts,
    trace: Option<&mut WindowTrace>,
) -> i64 {
    let mut startr = s;
    let mut startd = startr + prior / rate.ds;
    if startd < 0 {
        startr = -prior / rate.ds;
        startd = 0;
    }
    let nr = e - startr;
    let mut nd = nr;
    let dlen = deg_n / rate.ds;
    if startd + nd > dlen {
        nd = dlen - startd;
    }
    envelope_lag(
        &rv.log_vad,
        &dv.log_vad,
        startr,
        nr,
        startd,
        nd,
        ffts,
        trace,
    ) * rate.ds
        + prior
}

/// Histogram of per-frame waveform cross-correlation peaks (fine alignment).
struct Votes {
    nfft: usize,
    kernel: usize,
    win: Vec<f64>,
    hist: Vec<f64>,
    hsum: f64,
    x1: Vec<f64>,
    x2: Vec<f64>,
    f1: Vec<realfft::num_complex::Complex<f64>>,
    f2: Vec<realfft::num_complex::Complex<f64>>,
}

impl Votes {
    fn new(rate: &Rate, window: &[f64]) -> Self {
        let nfft = rate.align_nfft;
        Votes {
            nfft,
            kernel: nfft / 64,
            win: window.to_vec(),
            hist: vec![0.0; nfft],
            hsum: 0.0,
            x1: vec![0.0; nfft],
            x2: vec![0.0; nfft],
            f1: Vec::new(),
            f2: Vec::new(),
        }
    }

    /// Adds the votes of one frame pair: every lag within 1 % of the peak votes
    /// with a triangular kernel weighted by the peak's eighth root.
    fn frame(&mut self, rf: &Padded, df: &Padded, startr: i64, startd: i64, ffts: &mut Ffts) {
        let n = self.nfft;
        for i in 0..n {
            self.x1[i] = rf.at(startr + i as i64) * self.win[i];
            self.x2[i] = df.at(startd + i as i64) * self.win[i];
        }
        ffts.forward(&mut self.x1, &mut self.f1);
        ffts.forward(&mut self.x2, &mut self.f2);
        for (a, b) in self.f1.iter_mut().zip(self.f2.iter()) {
            *a = a.conj() * *b;
        }
        ffts.inverse(&mut self.f1, &mut self.x1);
        let peak = self.x1.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let vmax = 0.99 * peak;
        let k = self.kernel as i64;
        let weight = vmax.powf(0.125) / k as f64;
        for i in 0..n {
            if self.x1[i].abs() > vmax {
                self.hsum += weight * k as f64;
                for j in (1 - k)..k {
                    let idx = (i as i64 + j).rem_euclid(n as i64) as usize;
                    self.hist[idx] += weight * (k - j.abs()) as f64;
                }
            }
        }
    }

    /// Best lag (wrapped to +-nfft/2) and confidence.
    fn result(&self) -> (i64, f64) {
        let n = self.nfft as i64;
        let mut vmax = 0.0;
        let mut imax = 0i64;
        for (i, &v) in self.hist.iter().enumerate() {
            if v > vmax {
                vmax = v;
                imax = i as i64;
            }
        }
        if imax >= n / 2 {
            imax -= n;
        }
        let conf = if self.hsum > 0.0 {
            vmax / self.hsum
        } else {
            0.0
        };
        (imax, conf)
    }
}

/// Fine (waveform) delay of a reference stretch from sample `startr0` up to
/// `endr`, frames stepping forward, around the estimate `est`.
/// Returns (delay, confidence).
pub(crate) fn fine_delay(
    rf: &Padded,
    df: &Padded,
    startr0: i64,
    endr: i64,
    est: i64,
    rate: &Rate,
    ffts: &mut Ffts,
) -> (i64, f64) {
    let nfft = rate.align_nfft;
    let window = ffts.table("hann", nfft, 0, || hann(nfft));
    let mut v = Votes::new(rate, &window);
    let n = rate.align_nfft as i64;
    let mut startr = startr0;
    let mut startd = startr + est;
    if startd < 0 {
        startr = -est;
        startd = 0;
    }
    while startd + n <= df.n && startr + n <= endr {
        v.frame(rf, df, startr, startd, ffts);
        startr += n / 4;
        startd += n / 4;
    }
    let (lag, conf) = v.result();
    (est + lag, conf)
}

/// Finds utterances of the reference (in windows) from its VAD.
fn find_utterances(rv: &Vad, deg_n: i64, crude: i64, rate: &Rate, margin: i64) -> Vec<(i64, i64)> {
    let len = rv.vad.len() as i64;
    let del_deg_start = MIN_UTT_LENGTH - crude / rate.ds;
    let del_deg_end = (deg_n - crude) / rate.ds - MIN_UTT_LENGTH;
    let mut out = Vec::new();
    let mut speech = false;
    let mut this_start = 0i64;
    for c in 0..len {
        let v = rv.vad[c as usize];
        if v > 0.0 && !speech {
            speech = true;
            this_start = c;
        }
        if (v == 0.0 || c == len - 1) && speech {
            speech = false;
            if c - this_start >= MIN_UTT_LENGTH
                && this_start < del_deg_end
                && c > del_deg_start
                && out.len() < MAX_UTTERANCES - 1
            {
                let s = (this_start - margin).max(0);
                let e = (c + margin).min(len - 1);
                out.push((s, e));
            }
        }
    }
    out
}

/// Full alignment: crude delay, utterances, their delays, splitting.
pub(crate) fn align(
    rf: &Padded,
    df: &Padded,
    rv: &Vad,
    dv: &Vad,
    rate: &Rate,
    ffts: &mut Ffts,
) -> Alignment {
    let crude = crude_whole(rv, dv, rate, ffts);
    let mut al = Alignment::default();
    let windows = find_utterances(rv, df.n, crude, rate, SEARCH_BUFFER);
    for &(s, e) in &windows {
        let est = crude_part(rv, dv, df.n, s, e, crude, rate, ffts, None);
        let (d, conf) = fine_delay(rf, df, s * rate.ds, e * rate.ds, est, rate, ffts);
        al.search_start.push(s);
        al.search_end.push(e);
        al.delay_est.push(est);
        al.delay.push(d);
        al.conf.push(conf);
    }
    // Utterance boundaries proper.
    let bounds = find_utterances(rv, df.n, crude, rate, 0);
    let nu = bounds.len().min(al.search_start.len());
    al.start = bounds.iter().take(nu).map(|b| b.0).collect();
    al.end = bounds.iter().take(nu).map(|b| b.1).collect();
    al.search_start.truncate(nu);
    al.search_end.truncate(nu);
    al.delay_est.truncate(nu);
    al.delay.truncate(nu);
    al.conf.truncate(nu);
    if nu == 0 {
        return al;
    }
    let vad_len = rv.vad.len() as i64;
    al.start[0] = SEARCH_BUFFER;
    al.end[nu - 1] = vad_len - SEARCH_BUFFER;
    for u in 1..nu {
        let mid = (al.start[u] + al.end[u - 1]) / 2;
        al.start[u] = mid;
        al.end[u - 1] = mid;
    }
    let ds = rate.ds;
    if al.start[0] * ds + al.delay[0] < rate.sb() {
        al.start[0] = SEARCH_BUFFER + (ds - 1 - al.delay[0]) / ds;
    }
    let last_end = al.end[nu - 1] * ds + al.delay[nu - 1];
    if last_end > df.n - rate.sb() {
        al.end[nu - 1] = (df.n - al.delay[nu - 1]) / ds - SEARCH_BUFFER;
    }
    for u in 1..nu {
        let this_start = al.start[u] * ds + al.delay[u];
        let last_end = al.end[u - 1] * ds + al.delay[u - 1];
        if this_start < last_end {
            let mid = (this_start + last_end).div_euclid(2);
            al.start[u] = (ds - 1 + mid - al.delay[u]).div_euclid(ds);
            al.end[u - 1] = (mid - al.delay[u - 1]).div_euclid(ds);
        }
    }
    split_utterances(&mut al, rf, df, rv, dv, rate, ffts);
    al
}

/// Fine delays of the first halves [start, bp) of every break point. Break
/// points sharing a crude estimate share one forward walk over the frames.
fn split_first_halves(
    rf: &Padded,
    df: &Padded,
    startr0: i64,
    bps: &[i64],
    eds: &[(i64, i64)],
    rate: &Rate,
    ffts: &mut Ffts,
    window: &[f64],
) -> Vec<(i64, f64)> {
    let n = rate.align_nfft as i64;
    let mut out: Vec<Option<(i64, f64)>> = vec![None; bps.len()];
    for i in 0..bps.len() {
        if out[i].is_some() {
            continue;
        }
        let est = eds[i].0;
        let mut v = Votes::new(rate, window);
        let mut startr = startr0;
        let mut startd = startr + est;
        if startd < 0 {
            startr = -est;
            startd = 0;
        }
        for j in i..bps.len() {
            if eds[j].0 != est || out[j].is_some() {
                continue;
            }
            while startd + n <= df.n && startr + n <= bps[j] * rate.ds {
                v.frame(rf, df, startr, startd, ffts);
                startr += n / 4;
                startd += n / 4;
            }
            let (lag, conf) = v.result();
            out[j] = Some((est + lag, conf));
        }
    }
    out.into_iter().map(|o| o.unwrap_or((0, 0.0))).collect()
}

/// Fine delays of the second halves [bp, end) of the break points whose first
/// half beat the utterance's confidence; frames walk backward from the end.
fn split_second_halves(
    rf: &Padded,
    df: &Padded,
    endr: i64,
    bps: &[i64],
    eds: &[(i64, i64)],
    firsts: &[(i64, f64)],
    conf: f64,
    rate: &Rate,
    ffts: &mut Ffts,
    window: &[f64],
) -> Vec<(i64, f64)> {
    let n = rate.align_nfft as i64;
    let wanted: Vec<bool> = firsts.iter().map(|f| f.1 > conf).collect();
    let mut out: Vec<Option<(i64, f64)>> = vec![None; bps.len()];
    for i in (0..bps.len()).rev() {
        if !wanted[i] || out[i].is_some() {
            continue;
        }
        let est = eds[i].1;
        let mut v = Votes::new(rate, window);
        let mut startr = endr - n;
        let mut startd = startr + est;
        if startd + n > df.n {
            startd = df.n - n;
            startr = startd - est;
        }
        for j in (0..=i).rev() {
            if !wanted[j] || eds[j].1 != est || out[j].is_some() {
                continue;
            }
            while startd >= 0 && startr >= bps[j] * rate.ds {
                v.frame(rf, df, startr, startd, ffts);
                startr -= n / 4;
                startd -= n / 4;
            }
            let (lag, c) = v.result();
            out[j] = Some((est + lag, c));
        }
    }
    out.into_iter().map(|o| o.unwrap_or((0, 0.0))).collect()
}

/// Tries to split each utterance in two with different delays (P.862 10.1.3.3).
fn split_utterances(
    al: &mut Alignment,
    rf: &Padded,
    df: &Padded,
    rv: &Vad,
    dv: &Vad,
    rate: &Rate,
    ffts: &mut Ffts,
) {
    let ds = rate.ds;
    let mut u = 0usize;
    while u < al.count() && al.count() < MAX_UTTERANCES {
        let (us, ue) = (al.start[u], al.end[u]);
        let mut sp_start = us;
        while sp_start < ue && rv.vad.get(sp_start as usize).copied().unwrap_or(0.0) <= 0.0 {
            sp_start += 1;
        }
        let mut sp_end = ue;
        while sp_end > us && rv.vad.get(sp_end as usize).copied().unwrap_or(0.0) <= 0.0 {
            sp_end -= 1;
        }
        sp_end += 1;
        let len = sp_end - sp_start;
        if len < 200 {
            u += 1;
            continue;
        }
        let est = al.delay_est[u];
        let conf = al.conf[u];
        // Candidate break points.
        let delta = rate.align_nfft as i64 / (4 * ds);
        let step = ((0.801 * len as f64 + (40 * delta) as f64 - 1.0) / (40 * delta) as f64).floor()
            as i64
            * delta;
        let pad = (len / 10).max(75);
        let mut bps = vec![sp_start + pad];
        loop {
            let next = bps[bps.len() - 1] + step;
            if next <= sp_end - pad && bps.len() < 40 {
                bps.push(next);
            } else {
                break;
            }
        }
        let mut trace = WindowTrace::new(rate.align_nfft);
        let eds: Vec<(i64, i64)> = bps
            .iter()
            .map(|&bp| {
                let ed1 = crude_part(rv, dv, df.n, us, bp, est, rate, ffts, Some(&mut trace));
                let ed2 = crude_part(rv, dv, df.n, bp, ue, est, rate, ffts, Some(&mut trace));
                (ed1, ed2)
            })
            .collect();
        let window = trace.window;
        let mut best: Option<(i64, i64, f64, i64, i64, f64, i64)> = None;
        let (mut best_c1, mut best_c2) = (0.0, 0.0);
        let firsts = split_first_halves(rf, df, us * ds, &bps, &eds, rate, ffts, &window);
        let seconds = split_second_halves(
            rf,
            df,
            ue * ds,
            &bps,
            &eds,
            &firsts,
            conf,
            rate,
            ffts,
            &window,
        );
        for (i, (&bp, &(ed1, ed2))) in bps.iter().zip(eds.iter()).enumerate() {
            let (d1, c1) = firsts[i];
            let (d2, c2) = seconds[i];
            if (d2 - d1).abs() >= ds && c1 + c2 > best_c1 + best_c2 && c1 > conf && c2 > conf {
                best_c1 = c1;
                best_c2 = c2;
                best = Some((ed1, d1, c1, ed2, d2, c2, bp));
            }
        }
        let Some((ed1, d1, c1, ed2, d2, c2, bp)) = best else {
            u += 1;
            continue;
        };
        al.search_start.insert(u + 1, al.search_start[u]);
        al.search_end.insert(u + 1, al.search_end[u]);
        al.delay_est[u] = ed1;
        al.delay[u] = d1;
        al.conf[u] = c1;
        al.delay_est.insert(u + 1, ed2);
        al.delay.insert(u + 1, d2);
        al.conf.insert(u + 1, c2);
        if d2 < d1 {
            al.end[u] = bp;
            al.start.insert(u + 1, bp);
        } else {
            al.end[u] = bp + (d2 - d1) / (2 * ds);
            al.start.insert(u + 1, bp - (d2 - d1) / (2 * ds));
        }
        al.end.insert(u + 1, ue);
        if (al.start[u] - SEARCH_BUFFER) * ds + d1 < 0 {
            al.start[u] = SEARCH_BUFFER + (ds - 1 - d1) / ds;
        }
        if al.end[u + 1] * ds + d2 > df.n - rate.sb() {
            al.end[u + 1] = (df.n - d2) / ds - SEARCH_BUFFER;
        }
    }
}
