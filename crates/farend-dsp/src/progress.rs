//! Call-progress tones (ITU-T E.180 and its Supplement 2): dial, ringback, busy and congestion
//! tones per country with their cadences, and special information tones (ITU-T SIT and the
//! Telcordia SIT codes). Generators build each tone; [`classify_progress`] names the tone in a
//! recording from its frequencies and cadence.
//!
//! Countries: the ITU-T recommended common set (`ITU`), `US`, `UK` (alias `GB`), `DE`, `FR`,
//! `JP`, `NL`, `IT`, `ES`, `CN`. A modulated tone such as Japan's ringback (400 Hz modulated
//! by 16 Hz, written `400*16` in E.180) is generated with 80% amplitude modulation.

use crate::tone::{ToneSegment, add_sine, detect_tones, samples_for};
use serde::Serialize;

/// What a call-progress tone tells the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressKind {
    /// Dial tone: the exchange is ready for digits.
    Dial,
    /// Ringback (ringing) tone: the called party is being alerted.
    Ringback,
    /// Busy tone: the called party is engaged.
    Busy,
    /// Congestion (reorder) tone: the network cannot complete the call.
    Congestion,
    /// Special information tone: see [`SitCode`].
    Sit,
}

impl ProgressKind {
    /// Parses `dial`, `ringback` (or `ring`, `ringing`), `busy`, `congestion` (or `reorder`),
    /// `sit`, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "dial" => Some(Self::Dial),
            "ringback" | "ring" | "ringing" => Some(Self::Ringback),
            "busy" => Some(Self::Busy),
            "congestion" | "reorder" => Some(Self::Congestion),
            "sit" => Some(Self::Sit),
            _ => None,
        }
    }

    /// Lowercase name as serialised.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dial => "dial",
            Self::Ringback => "ringback",
            Self::Busy => "busy",
            Self::Congestion => "congestion",
            Self::Sit => "sit",
        }
    }
}

/// One country's tone of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressTone {
    /// Country code (`ITU` for the recommended common set).
    pub country: &'static str,
    /// The kind of tone.
    pub kind: ProgressKind,
    /// Frequencies in Hz sounding together (the carrier when modulated).
    pub freqs: &'static [f64],
    /// Modulating frequency in Hz (0 for none).
    pub modulation_hz: f64,
    /// Cadence in ms: on, off, on, off, …; empty for a continuous tone.
    pub cadence_ms: &'static [f64],
}

const fn t(
    country: &'static str,
    kind: ProgressKind,
    freqs: &'static [f64],
    modulation_hz: f64,
    cadence_ms: &'static [f64],
) -> ProgressTone {
    ProgressTone {
        country,
        kind,
        freqs,
        modulation_hz,
        cadence_ms,
    }
}

use ProgressKind::{Busy, Congestion, Dial, Ringback};

/// The tone table (E.180 Supplement 2 values; the ITU common set first).
pub const TONES: &[ProgressTone] = &[
    t("ITU", Dial, &[425.0], 0.0, &[]),
    t("ITU", Ringback, &[425.0], 0.0, &[1000.0, 4000.0]),
    t("ITU", Busy, &[425.0], 0.0, &[500.0, 500.0]),
    t("ITU", Congestion, &[425.0], 0.0, &[250.0, 250.0]),
    t("US", Dial, &[350.0, 440.0], 0.0, &[]),
    t("US", Ringback, &[440.0, 480.0], 0.0, &[2000.0, 4000.0]),
    t("US", Busy, &[480.0, 620.0], 0.0, &[500.0, 500.0]),
    t("US", Congestion, &[480.0, 620.0], 0.0, &[250.0, 250.0]),
    t("UK", Dial, &[350.0, 440.0], 0.0, &[]),
    t(
        "UK",
        Ringback,
        &[400.0, 450.0],
        0.0,
        &[400.0, 200.0, 400.0, 2000.0],
    ),
    t("UK", Busy, &[400.0], 0.0, &[375.0, 375.0]),
    t(
        "UK",
        Congestion,
        &[400.0],
        0.0,
        &[400.0, 350.0, 225.0, 525.0],
    ),
    t("DE", Dial, &[425.0], 0.0, &[]),
    t("DE", Ringback, &[425.0], 0.0, &[1000.0, 4000.0]),
    t("DE", Busy, &[425.0], 0.0, &[480.0, 480.0]),
    t("DE", Congestion, &[425.0], 0.0, &[240.0, 240.0]),
    t("FR", Dial, &[440.0], 0.0, &[]),
    t("FR", Ringback, &[440.0], 0.0, &[1500.0, 3500.0]),
    t("FR", Busy, &[440.0], 0.0, &[500.0, 500.0]),
    t("FR", Congestion, &[440.0], 0.0, &[250.0, 250.0]),
    t("JP", Dial, &[400.0], 0.0, &[]),
    t("JP", Ringback, &[400.0], 16.0, &[1000.0, 2000.0]),
    t("JP", Busy, &[400.0], 0.0, &[500.0, 500.0]),
    t("JP", Congestion, &[400.0], 0.0, &[500.0, 500.0]),
    t("NL", Dial, &[425.0], 0.0, &[]),
    t("NL", Ringback, &[425.0], 0.0, &[1000.0, 4000.0]),
    t("NL", Busy, &[425.0], 0.0, &[500.0, 500.0]),
    t("NL", Congestion, &[425.0], 0.0, &[250.0, 250.0]),
    t("IT", Dial, &[425.0], 0.0, &[200.0, 200.0, 600.0, 1000.0]),
    t("IT", Ringback, &[425.0], 0.0, &[1000.0, 4000.0]),
    t("IT", Busy, &[425.0], 0.0, &[500.0, 500.0]),
    t("IT", Congestion, &[425.0], 0.0, &[200.0, 200.0]),
    t("ES", Dial, &[425.0], 0.0, &[]),
    t("ES", Ringback, &[425.0], 0.0, &[1500.0, 3000.0]),
    t("ES", Busy, &[425.0], 0.0, &[200.0, 200.0]),
    t(
        "ES",
        Congestion,
        &[425.0],
        0.0,
        &[200.0, 200.0, 200.0, 200.0, 200.0, 600.0],
    ),
    t("CN", Dial, &[450.0], 0.0, &[]),
    t("CN", Ringback, &[450.0], 0.0, &[1000.0, 4000.0]),
    t("CN", Busy, &[450.0], 0.0, &[350.0, 350.0]),
    t("CN", Congestion, &[450.0], 0.0, &[700.0, 700.0]),
];

/// Normalises a country code: uppercase, `GB` → `UK`, `E180`/`COMMON` → `ITU`.
pub fn normalize_country(country: &str) -> String {
    match country.trim().to_ascii_uppercase().as_str() {
        "GB" => "UK".into(),
        "E180" | "E.180" | "COMMON" => "ITU".into(),
        other => other.into(),
    }
}

/// The tone of `kind` for `country` (any case; `GB` = `UK`).
pub fn lookup(country: &str, kind: ProgressKind) -> Option<&'static ProgressTone> {
    let c = normalize_country(country);
    TONES.iter().find(|t| t.country == c && t.kind == kind)
}

/// Country codes in the table, the ITU common set first.
pub fn countries() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for t in TONES {
        if !out.contains(&t.country) {
            out.push(t.country);
        }
    }
    out
}

/// Errors of the progress-tone generators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgressError {
    /// No tone of this kind is known for the country.
    #[error("no {kind} tone known for country '{country}'")]
    Unknown {
        /// The requested country.
        country: String,
        /// The requested kind.
        kind: &'static str,
    },
    /// SIT is generated with [`generate_sit`].
    #[error("special information tones are generated with generate_sit")]
    UseSit,
}

/// Adds a (possibly modulated) tone with every frequency at `level_dbov` to `out`.
fn add_tone(out: &mut [f32], tone: &ProgressTone, level_dbov: f64, rate: u32, offset: usize) {
    let mut seg = vec![0.0f32; out.len()];
    for &f in tone.freqs {
        add_sine(&mut seg, f, level_dbov, rate);
    }
    if tone.modulation_hz > 0.0 {
        // Continuous phase across cadence segments: modulate by absolute time.
        let w = std::f64::consts::TAU * tone.modulation_hz / f64::from(rate);
        for (i, v) in seg.iter_mut().enumerate() {
            let m = (1.0 + 0.8 * (w * (offset + i) as f64).cos()) / 1.8;
            *v *= m as f32;
        }
    }
    for (o, s) in out.iter_mut().zip(seg) {
        *o += s;
    }
}

/// Generates `duration_s` seconds of `country`'s `kind` tone (cadence starting with "on"),
/// each frequency at `level_dbov` dBov (P.56).
pub fn generate_progress(
    country: &str,
    kind: ProgressKind,
    duration_s: f64,
    level_dbov: f64,
    rate: u32,
) -> Result<Vec<f32>, ProgressError> {
    if kind == ProgressKind::Sit {
        return Err(ProgressError::UseSit);
    }
    let tone = lookup(country, kind).ok_or_else(|| ProgressError::Unknown {
        country: country.to_owned(),
        kind: kind.name(),
    })?;
    Ok(generate_tone_spec(tone, duration_s, level_dbov, rate))
}

/// Generates `duration_s` seconds of a table entry (see [`generate_progress`]).
pub fn generate_tone_spec(
    tone: &ProgressTone,
    duration_s: f64,
    level_dbov: f64,
    rate: u32,
) -> Vec<f32> {
    let n = samples_for(duration_s, rate);
    let mut out = vec![0.0f32; n];
    if tone.cadence_ms.is_empty() {
        add_tone(&mut out, tone, level_dbov, rate, 0);
        return out;
    }
    let mut pos = 0usize;
    'outer: loop {
        for (i, &ms) in tone.cadence_ms.iter().enumerate() {
            let len = samples_for(ms / 1000.0, rate).max(1);
            let end = (pos + len).min(n);
            if i % 2 == 0 {
                add_tone(&mut out[pos..end], tone, level_dbov, rate, pos);
            }
            pos = end;
            if pos >= n {
                break 'outer;
            }
        }
    }
    out
}

/// Telcordia (Bellcore) special information tone codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SitCode {
    /// Intercept (vacant number, number changed).
    #[serde(rename = "IC")]
    Intercept,
    /// Vacant code.
    #[serde(rename = "VC")]
    VacantCode,
    /// Reorder, intra-LATA (equipment irregularity).
    #[serde(rename = "RO")]
    ReorderLocal,
    /// Reorder, inter-LATA.
    #[serde(rename = "RO'")]
    ReorderCarrier,
    /// No circuit, intra-LATA (trunk blockage).
    #[serde(rename = "NC")]
    NoCircuitLocal,
    /// No circuit, inter-LATA.
    #[serde(rename = "NC'")]
    NoCircuitCarrier,
    /// Ineffective other.
    #[serde(rename = "IO")]
    IneffectiveOther,
    /// Reserved for future use.
    #[serde(rename = "reserved")]
    Reserved,
}

/// Telcordia SIT frequencies: first tone low/high, second tone low/high, third tone.
pub const SIT_TELCORDIA_FREQS: [[f64; 2]; 3] = [[913.8, 985.2], [1370.6, 1428.5], [1776.7, 1776.7]];
/// Telcordia SIT durations in ms: short and long.
pub const SIT_TELCORDIA_MS: [f64; 2] = [274.0, 380.0];
/// ITU-T SIT frequencies (E.180 / Q.35), each 330 ms.
pub const SIT_ITU_FREQS: [f64; 3] = [950.0, 1400.0, 1800.0];

/// (first freq high, second freq high, first long, second long) of each Telcordia code.
const SIT_CODES: [(SitCode, bool, bool, bool, bool); 8] = [
    (SitCode::Intercept, false, false, false, false),
    (SitCode::VacantCode, true, false, true, false),
    (SitCode::ReorderLocal, false, true, false, true),
    (SitCode::ReorderCarrier, true, false, false, true),
    (SitCode::NoCircuitLocal, true, true, true, true),
    (SitCode::NoCircuitCarrier, false, false, true, true),
    (SitCode::IneffectiveOther, false, true, true, false),
    (SitCode::Reserved, true, true, false, false),
];

impl SitCode {
    /// Every code.
    pub const ALL: [SitCode; 8] = [
        SitCode::Intercept,
        SitCode::VacantCode,
        SitCode::ReorderLocal,
        SitCode::ReorderCarrier,
        SitCode::NoCircuitLocal,
        SitCode::NoCircuitCarrier,
        SitCode::IneffectiveOther,
        SitCode::Reserved,
    ];

    /// The three (frequency Hz, duration ms) tones of this code.
    pub fn tones(self) -> [(f64, f64); 3] {
        let &(_, h1, h2, l1, l2) = SIT_CODES
            .iter()
            .find(|c| c.0 == self)
            .unwrap_or(&SIT_CODES[0]);
        [
            (
                SIT_TELCORDIA_FREQS[0][usize::from(h1)],
                SIT_TELCORDIA_MS[usize::from(l1)],
            ),
            (
                SIT_TELCORDIA_FREQS[1][usize::from(h2)],
                SIT_TELCORDIA_MS[usize::from(l2)],
            ),
            (SIT_TELCORDIA_FREQS[2][0], SIT_TELCORDIA_MS[1]),
        ]
    }
}

/// Which special information tone to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Sit {
    /// The ITU-T SIT: 950, 1400, 1800 Hz, 330 ms each.
    Itu,
    /// A Telcordia coded SIT.
    Telcordia(SitCode),
}

/// Generates one special information tone (three tones back to back) followed by 1 s of
/// silence, each tone at `level_dbov` dBov (P.56).
pub fn generate_sit(sit: Sit, level_dbov: f64, rate: u32) -> Vec<f32> {
    let tones: [(f64, f64); 3] = match sit {
        Sit::Itu => [(950.0, 330.0), (1400.0, 330.0), (1800.0, 330.0)],
        Sit::Telcordia(code) => code.tones(),
    };
    let mut out = Vec::new();
    for (f, ms) in tones {
        let mut seg = vec![0.0f32; samples_for(ms / 1000.0, rate)];
        add_sine(&mut seg, f, level_dbov, rate);
        out.extend_from_slice(&seg);
    }
    out.extend(std::iter::repeat_n(0.0f32, samples_for(1.0, rate)));
    out
}

/// A classified call-progress tone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressMatch {
    /// The kind of tone.
    pub kind: ProgressKind,
    /// Country of the matching table entry (`ITU` for the common set and the ITU SIT, `US`
    /// for Telcordia SIT codes).
    pub country: String,
    /// The Telcordia code when `kind` is `sit` and the tone carries one.
    pub sit_code: Option<SitCode>,
    /// Measured frequencies in Hz.
    pub freqs_hz: Vec<f64>,
    /// Start of the first matching tone in ms.
    pub start_ms: f64,
    /// Observed cadence (on, off, … ms) of one cycle; empty for a continuous tone.
    pub cadence_ms: Vec<f64>,
    /// Cadence elements that matched the table.
    pub matched_elements: usize,
    /// Mean relative cadence error.
    pub cadence_error: f64,
    /// Other table entries that fit equally well (`"DE busy"`), e.g. identical tones.
    pub alternatives: Vec<String>,
}

impl ProgressMatch {
    /// Whether this match is (or is indistinguishable from) `country`'s `kind` tone.
    pub fn is(&self, kind: ProgressKind, country: Option<&str>) -> bool {
        let want_country = country.map(normalize_country);
        let main = self.kind == kind && want_country.as_deref().is_none_or(|c| c == self.country);
        main || self.alternatives.iter().any(|a| {
            let mut it = a.split(' ');
            let (c, k) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            ProgressKind::parse(k) == Some(kind) && want_country.as_deref().is_none_or(|w| w == c)
        })
    }
}

/// Frequency tolerance for progress tones (fraction).
const FREQ_TOL: f64 = 0.02;
/// Cadence tolerance: relative, with an absolute floor in ms.
const CADENCE_TOL: f64 = 0.15;
const CADENCE_FLOOR_MS: f64 = 50.0;
/// Shortest continuous tone taken as dial tone.
const CONTINUOUS_MS: f64 = 2500.0;

/// Whether a segment carries exactly the tone's frequencies.
fn segment_fits(seg: &ToneSegment, tone: &ProgressTone) -> bool {
    let Some(top) = seg.components.first() else {
        return false;
    };
    // Every component the detector kept (within 20 dB of the strongest) must belong to the tone.
    let strong = seg.components.iter();
    if tone.modulation_hz > 0.0 {
        let f = tone.freqs[0];
        let span = tone.modulation_hz + FREQ_TOL * f;
        return (top.freq_hz - f).abs() <= span
            && seg.components.iter().all(|c| (c.freq_hz - f).abs() <= span);
    }
    tone.freqs.iter().all(|&f| {
        seg.components
            .iter()
            .any(|c| (c.freq_hz - f).abs() <= FREQ_TOL * f)
    }) && strong.into_iter().all(|c| {
        tone.freqs
            .iter()
            .any(|&f| (c.freq_hz - f).abs() <= FREQ_TOL * f)
    })
}

fn within(obs: f64, want: f64) -> bool {
    (obs - want).abs() <= (CADENCE_TOL * want).max(CADENCE_FLOOR_MS)
}

/// Best cadence fit of `tone` on `segs` (already filtered to its frequencies and merged):
/// (matched elements, mean relative error, index of the first segment, observed cadence).
fn cadence_fit(
    segs: &[(f64, f64)],
    tone: &ProgressTone,
    total_ms: f64,
) -> Option<(usize, f64, usize, Vec<f64>)> {
    let cad = tone.cadence_ms;
    let k = cad.len();
    let mut best: Option<(usize, f64, usize, Vec<f64>)> = None;
    for start in 0..segs.len() {
        for phase in (0..k).step_by(2) {
            let mut matched = 0usize;
            let mut err = 0.0;
            let mut observed = Vec::new();
            let mut j = start;
            let mut idx = phase;
            while j < segs.len() {
                let on = segs[j].1 - segs[j].0;
                if !within(on, cad[idx % k]) {
                    break;
                }
                matched += 1;
                err += (on - cad[idx % k]).abs() / cad[idx % k];
                observed.push(on);
                let off_want = cad[(idx + 1) % k];
                let off = if j + 1 < segs.len() {
                    segs[j + 1].0 - segs[j].1
                } else {
                    total_ms - segs[j].1
                };
                let open = j + 1 == segs.len();
                if open {
                    // The recording ended in this pause: it only counts once it lasted long enough.
                    if off >= off_want - (CADENCE_TOL * off_want).max(CADENCE_FLOOR_MS) {
                        matched += 1;
                        observed.push(off.min(off_want));
                    }
                    break;
                }
                if !within(off, off_want) {
                    break;
                }
                matched += 1;
                err += (off - off_want).abs() / off_want;
                observed.push(off);
                j += 1;
                idx += 2;
            }
            if matched >= k {
                let mean = err / matched as f64;
                observed.truncate(k);
                let better = match &best {
                    None => true,
                    Some(b) => matched > b.0 || (matched == b.0 && mean < b.1),
                };
                if better {
                    best = Some((matched, mean, start, observed));
                }
            }
        }
    }
    best
}

/// Finds a special information tone: three consecutive rising tones.
fn find_sit(segs: &[ToneSegment]) -> Option<ProgressMatch> {
    for w in segs.windows(3) {
        let gaps_ok = (0..2).all(|i| w[i + 1].start_ms - w[i].end_ms <= 50.0);
        if !gaps_ok {
            continue;
        }
        let f: Vec<f64> = w.iter().map(|s| s.freq_hz).collect();
        let d: Vec<f64> = w.iter().map(|s| s.duration_ms).collect();
        let near = |x: f64, y: f64, tol: f64| (x - y).abs() <= tol * y;
        // Telcordia first: its tolerances are the tighter ones.
        let hi1 = near(f[0], SIT_TELCORDIA_FREQS[0][1], 0.01);
        let lo1 = near(f[0], SIT_TELCORDIA_FREQS[0][0], 0.01);
        let hi2 = near(f[1], SIT_TELCORDIA_FREQS[1][1], 0.01);
        let lo2 = near(f[1], SIT_TELCORDIA_FREQS[1][0], 0.01);
        let third = near(f[2], SIT_TELCORDIA_FREQS[2][0], 0.01);
        let dur_ok = d.iter().all(|&x| (240.0..=420.0).contains(&x));
        if (hi1 || lo1) && (hi2 || lo2) && third && dur_ok {
            let (l1, l2) = (d[0] > 327.0, d[1] > 327.0);
            if let Some(&(code, ..)) = SIT_CODES
                .iter()
                .find(|c| c.1 == hi1 && c.2 == hi2 && c.3 == l1 && c.4 == l2)
            {
                return Some(sit_match(w, "US", Some(code)));
            }
        }
        let itu = (0..3).all(|i| (f[i] - SIT_ITU_FREQS[i]).abs() <= 50.0)
            && d.iter().all(|&x| (250.0..=410.0).contains(&x));
        if itu {
            return Some(sit_match(w, "ITU", None));
        }
    }
    None
}

fn sit_match(w: &[ToneSegment], country: &str, code: Option<SitCode>) -> ProgressMatch {
    ProgressMatch {
        kind: ProgressKind::Sit,
        country: country.into(),
        sit_code: code,
        freqs_hz: w.iter().map(|s| s.freq_hz).collect(),
        start_ms: w[0].start_ms,
        cadence_ms: w.iter().map(|s| s.duration_ms).collect(),
        matched_elements: 3,
        cadence_error: 0.0,
        alternatives: Vec::new(),
    }
}

/// Classifies the call-progress tone in `samples` (−1.0..1.0) at `rate`: a special information
/// tone, or the dial, ringback, busy or congestion tone of `country` (any country in the table
/// when `None`) whose frequencies and cadence fit best. Cadenced tones need one full cycle;
/// dial tone needs 2.5 s of continuous tone.
pub fn classify_progress(
    samples: &[f32],
    rate: u32,
    country: Option<&str>,
) -> Option<ProgressMatch> {
    if rate == 0 {
        return None;
    }
    let segs = detect_tones(samples, rate);
    classify_segments(
        &segs,
        samples.len() as f64 * 1000.0 / f64::from(rate),
        country,
    )
}

/// A table entry that fits: (entry, matched elements, error, start ms, cadence, freqs).
type Fit = (&'static ProgressTone, usize, f64, f64, Vec<f64>, Vec<f64>);

/// Like [`classify_progress`] on segments already found by [`detect_tones`] in a recording
/// of `total_ms` milliseconds.
pub fn classify_segments(
    segs: &[ToneSegment],
    total_ms: f64,
    country: Option<&str>,
) -> Option<ProgressMatch> {
    if let Some(m) = find_sit(segs) {
        return Some(m);
    }
    let want = country.map(normalize_country);
    let mut fits: Vec<Fit> = Vec::new();
    for tone in TONES
        .iter()
        .filter(|t| want.as_deref().is_none_or(|c| c == t.country))
    {
        let matching: Vec<&ToneSegment> = segs.iter().filter(|s| segment_fits(s, tone)).collect();
        if matching.is_empty() {
            continue;
        }
        // Merge pieces split by short dropouts.
        let mut merged: Vec<(f64, f64)> = Vec::new();
        for s in &matching {
            match merged.last_mut() {
                Some(last) if s.start_ms - last.1 < 40.0 => last.1 = s.end_ms,
                _ => merged.push((s.start_ms, s.end_ms)),
            }
        }
        let mut freqs: Vec<f64> = matching[0].components.iter().map(|c| c.freq_hz).collect();
        freqs.sort_by(f64::total_cmp);
        if tone.cadence_ms.is_empty() {
            if let Some(&(s, _)) = merged.iter().find(|(s, e)| e - s >= CONTINUOUS_MS) {
                fits.push((tone, 1, 0.0, s, Vec::new(), freqs));
            }
        } else if let Some((matched, err, first, observed)) = cadence_fit(&merged, tone, total_ms) {
            fits.push((tone, matched, err, merged[first].0, observed, freqs));
        }
    }
    // Continuous tones outrank cadences only when nothing cadenced fits.
    let best = fits
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            let ka = (a.0.cadence_ms.is_empty(), a.2);
            let kb = (b.0.cadence_ms.is_empty(), b.2);
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        })
        .map(|(i, _)| i)?;
    let (tone, matched, err, start, observed, freqs) = fits[best].clone();
    let alternatives = fits
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            *i != best
                && f.0.cadence_ms.is_empty() == tone.cadence_ms.is_empty()
                && f.2 <= err + 0.02
        })
        .map(|(_, f)| format!("{} {}", f.0.country, f.0.kind.name()))
        .collect();
    Some(ProgressMatch {
        kind: tone.kind,
        country: tone.country.into(),
        sit_code: None,
        freqs_hz: freqs,
        start_ms: start,
        cadence_ms: observed,
        matched_elements: matched,
        cadence_error: err,
        alternatives,
    })
}
