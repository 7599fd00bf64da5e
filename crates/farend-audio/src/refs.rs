//! The reference audio library: `audio-refs/manifest.toml` plus generated tones.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::{AudioError, Pcm, read_wav, resample};

/// Level of generated `tones/<freq>hz` references, in dBov (P.56).
pub const TONE_LEVEL_DBOV: f64 = -16.0;
/// Duration of generated call-progress references (`tones/<kind>-<country>`), in seconds.
pub const PROGRESS_DURATION_S: f64 = 6.0;
/// Level of each frequency of generated call-progress references, in dBov (P.56).
pub const PROGRESS_LEVEL_DBOV: f64 = -20.0;
/// Duration of generated `tones/<freq>hz` references, in seconds.
pub const TONE_DURATION_S: f64 = 2.0;
/// Level of each of the two tones of a generated DTMF digit, in dBov (the pair sums to
/// about −16 dBov).
pub const DTMF_TONE_LEVEL_DBOV: f64 = -19.0;
/// Tone duration of generated DTMF digits, in milliseconds.
pub const DTMF_TONE_MS: u32 = 100;
/// Pause after each generated DTMF digit, in milliseconds.
pub const DTMF_PAUSE_MS: u32 = 100;
/// Silence before the first generated DTMF digit, in milliseconds.
pub const DTMF_LEAD_MS: u32 = 200;

/// Description of one file-based reference, as listed in the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct RefInfo {
    /// Name, `category/name` (e.g. `speech/en-f1`).
    pub name: String,
    /// WAV file per sample rate, relative to the library folder.
    pub files: BTreeMap<u32, PathBuf>,
    /// Where the audio comes from (package name).
    pub source: String,
    /// Original files inside the source.
    pub source_files: Vec<String>,
    /// Licence of the audio.
    pub licence: String,
    /// Duration in seconds.
    pub duration_s: f64,
    /// Active speech level (ITU-T P.56) in dBov.
    pub active_level_dbov: f64,
    /// Free text.
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    reference: Vec<ManifestEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestEntry {
    name: String,
    files: BTreeMap<String, String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    source_files: Vec<String>,
    #[serde(default)]
    licence: String,
    #[serde(default)]
    duration_s: f64,
    #[serde(default)]
    active_level_dbov: f64,
    #[serde(default)]
    description: String,
}

/// A generated reference parsed from its name.
enum Generated {
    Tone(f64),
    Dtmf(String),
    /// A call-progress tone: its kind and country (`tones/ringback-de`).
    Progress(farend_dsp::progress::ProgressKind, String),
}

fn parse_generated(name: &str) -> Option<Generated> {
    let rest = name.strip_prefix("tones/")?;
    if let Some(digits) = rest.strip_prefix("dtmf-") {
        let ok = !digits.is_empty()
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D' | 'a'..='d'));
        return ok.then(|| Generated::Dtmf(digits.to_string()));
    }
    if let Some((kind, country)) = rest.split_once('-')
        && let Some(kind) = farend_dsp::progress::ProgressKind::parse(kind)
        && farend_dsp::progress::lookup(country, kind).is_some()
    {
        return Some(Generated::Progress(kind, country.to_string()));
    }
    let num = rest
        .strip_suffix("hz")
        .or_else(|| rest.strip_suffix("Hz"))?;
    let freq: f64 = num.parse().ok()?;
    (freq.is_finite() && freq > 0.0).then_some(Generated::Tone(freq))
}

/// The reference audio library.
#[derive(Debug, Clone)]
pub struct RefLibrary {
    dir: PathBuf,
    refs: BTreeMap<String, RefInfo>,
}

impl RefLibrary {
    /// Opens the library in `dir` (the `audio-refs` folder) by reading `dir/manifest.toml`.
    pub fn open(dir: impl AsRef<Path>) -> Result<RefLibrary, AudioError> {
        let dir = dir.as_ref().to_path_buf();
        let path = dir.join("manifest.toml");
        let text = std::fs::read_to_string(&path).map_err(|source| AudioError::Io {
            path: path.clone(),
            source,
        })?;
        Self::from_manifest_str(dir, &text, &path)
    }

    /// Builds a library for `dir` from manifest text (`origin` names it in errors).
    fn from_manifest_str(
        dir: PathBuf,
        text: &str,
        origin: &Path,
    ) -> Result<RefLibrary, AudioError> {
        let bad = |detail: String| AudioError::Manifest {
            path: origin.to_path_buf(),
            detail,
        };
        let manifest: Manifest = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut refs = BTreeMap::new();
        for e in manifest.reference {
            let valid_name = e.name.split('/').count() == 2
                && e.name.split('/').all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                });
            if !valid_name {
                return Err(bad(format!(
                    "reference name '{}' is not of the form category/name",
                    e.name
                )));
            }
            if parse_generated(&e.name).is_some() {
                return Err(bad(format!(
                    "reference name '{}' is reserved for generated tones",
                    e.name
                )));
            }
            if e.files.is_empty() {
                return Err(bad(format!("reference '{}' lists no files", e.name)));
            }
            let mut files = BTreeMap::new();
            for (rate, file) in e.files {
                let rate: u32 = rate.parse().ok().filter(|r| *r > 0).ok_or_else(|| {
                    bad(format!(
                        "reference '{}': '{rate}' is not a sample rate in Hz",
                        e.name
                    ))
                })?;
                let rel = PathBuf::from(&file);
                if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
                    return Err(bad(format!(
                        "reference '{}': file '{file}' must be a relative path inside the library",
                        e.name
                    )));
                }
                files.insert(rate, rel);
            }
            let info = RefInfo {
                name: e.name.clone(),
                files,
                source: e.source,
                source_files: e.source_files,
                licence: e.licence,
                duration_s: e.duration_s,
                active_level_dbov: e.active_level_dbov,
                description: e.description,
            };
            if refs.insert(e.name.clone(), info).is_some() {
                return Err(bad(format!("reference '{}' is listed twice", e.name)));
            }
        }
        Ok(RefLibrary { dir, refs })
    }

    /// The library folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether `name` is a file reference of the manifest or a generated one
    /// (`tones/<freq>hz`, `tones/dtmf-<digits>`).
    pub fn contains(&self, name: &str) -> bool {
        self.refs.contains_key(name) || parse_generated(name).is_some()
    }

    /// Names of the file references, sorted (generated tones are not listed).
    pub fn names(&self) -> Vec<&str> {
        self.refs.keys().map(String::as_str).collect()
    }

    /// Manifest entry of a file reference (`None` for generated and unknown names).
    pub fn info(&self, name: &str) -> Option<&RefInfo> {
        self.refs.get(name)
    }

    /// Absolute-or-relative path of the file for `name` at exactly `rate`, if listed.
    pub fn file_for(&self, name: &str, rate: u32) -> Option<PathBuf> {
        self.refs
            .get(name)
            .and_then(|i| i.files.get(&rate))
            .map(|f| self.dir.join(f))
    }

    /// Loads `name` at `rate` Hz: the manifest's file for that rate, else the file of the
    /// nearest rate (the higher one on a tie) resampled; generated tones are synthesised
    /// at `rate` (`tones/<freq>hz`: 2 s at −16 dBov; `tones/dtmf-<digits>`: 200 ms of
    /// silence, then per digit 100 ms of tones at −19 dBov each and 100 ms of silence).
    pub fn load(&self, name: &str, rate: u32) -> Result<Pcm, AudioError> {
        if rate == 0 {
            return Err(AudioError::Invalid(format!("cannot load '{name}' at 0 Hz")));
        }
        if let Some(info) = self.refs.get(name) {
            let (&file_rate, file) = info
                .files
                .iter()
                .min_by_key(|(r, _)| (r.abs_diff(rate), std::cmp::Reverse(**r)))
                .ok_or_else(|| AudioError::UnknownReference {
                    name: name.to_string(),
                    hint: String::new(),
                })?;
            let path = self.dir.join(file);
            let pcm = read_wav(&path)?;
            if pcm.rate != file_rate {
                return Err(AudioError::Manifest {
                    path: path.clone(),
                    detail: format!("listed for {file_rate} Hz but the file is {} Hz", pcm.rate),
                });
            }
            return resample(&pcm, rate);
        }
        match parse_generated(name) {
            Some(Generated::Tone(freq)) => {
                if freq >= f64::from(rate) / 2.0 {
                    return Err(AudioError::Generate {
                        name: name.to_string(),
                        detail: format!("{freq} Hz is not below half of {rate} Hz"),
                    });
                }
                let x =
                    farend_dsp::tone::generate_tone(freq, TONE_LEVEL_DBOV, TONE_DURATION_S, rate);
                Ok(Pcm::from_f32(rate, &x))
            }
            Some(Generated::Progress(kind, country)) => {
                let x = farend_dsp::progress::generate_progress(
                    &country,
                    kind,
                    PROGRESS_DURATION_S,
                    PROGRESS_LEVEL_DBOV,
                    rate,
                )
                .map_err(|e| AudioError::Generate {
                    name: name.to_string(),
                    detail: e.to_string(),
                })?;
                Ok(Pcm::from_f32(rate, &x))
            }
            Some(Generated::Dtmf(digits)) => {
                let x = farend_dsp::dtmf::generate_dtmf(
                    &digits,
                    DTMF_TONE_MS,
                    DTMF_PAUSE_MS,
                    DTMF_TONE_LEVEL_DBOV,
                    rate,
                )
                .map_err(|e| AudioError::Generate {
                    name: name.to_string(),
                    detail: e.to_string(),
                })?;
                let lead = (u64::from(DTMF_LEAD_MS) * u64::from(rate) / 1000) as usize;
                let mut padded = vec![0.0f32; lead];
                padded.extend_from_slice(&x);
                Ok(Pcm::from_f32(rate, &padded))
            }
            None => Err(AudioError::UnknownReference {
                name: name.to_string(),
                hint: if self.refs.is_empty() {
                    " (the library lists no references; generated: tones/<freq>hz, tones/dtmf-<digits>, tones/<kind>-<country>)".to_string()
                } else {
                    format!(
                        " (known: {}; generated: tones/<freq>hz, tones/dtmf-<digits>, tones/<kind>-<country>)",
                        self.names().join(", ")
                    )
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names() {
        assert!(matches!(parse_generated("tones/1000hz"), Some(Generated::Tone(f)) if f == 1000.0));
        assert!(matches!(
            parse_generated("tones/ringback-de"),
            Some(Generated::Progress(farend_dsp::progress::ProgressKind::Ringback, c)) if c == "de"
        ));
        assert!(parse_generated("tones/ringback-xx").is_none());
        assert!(matches!(parse_generated("tones/425.5hz"), Some(Generated::Tone(f)) if f == 425.5));
        assert!(
            matches!(parse_generated("tones/dtmf-12#*A"), Some(Generated::Dtmf(d)) if d == "12#*A")
        );
        for bad in [
            "tones/",
            "tones/hz",
            "tones/-5hz",
            "tones/1000",
            "tones/dtmf-",
            "tones/dtmf-12x",
            "speech/1000hz",
            "tones/NaNhz",
        ] {
            assert!(parse_generated(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn manifest_errors_name_the_problem() {
        let p = Path::new("m.toml");
        let cases = [
            (
                "[[reference]]\nname = \"x\"\nfiles = { 8000 = \"a.wav\" }\n",
                "category/name",
            ),
            ("[[reference]]\nname = \"a/b\"\nfiles = {}\n", "no files"),
            (
                "[[reference]]\nname = \"a/b\"\nfiles = { 8k = \"a.wav\" }\n",
                "sample rate",
            ),
            (
                "[[reference]]\nname = \"a/b\"\nfiles = { 8000 = \"../a.wav\" }\n",
                "relative path",
            ),
            (
                "[[reference]]\nname = \"tones/100hz\"\nfiles = { 8000 = \"a.wav\" }\n",
                "reserved",
            ),
            (
                "[[reference]]\nname = \"a/b\"\nfiles = { 8000 = \"a.wav\" }\n[[reference]]\nname = \"a/b\"\nfiles = { 8000 = \"a.wav\" }\n",
                "twice",
            ),
            ("[[reference]]\nname = \"a/b\"\nfilez = 3\n", "filez"),
        ];
        for (text, needle) in cases {
            let err = RefLibrary::from_manifest_str(PathBuf::from("."), text, p).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(needle) && msg.starts_with("m.toml"), "{msg}");
        }
    }
}
