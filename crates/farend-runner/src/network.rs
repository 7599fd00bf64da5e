//! The virtual network's profiles in a run: the built-in ones and a lab file's, which one
//! each case runs on, and the ground truth each case folder gets (`network-truth.json`).

use std::path::Path;

use farend_lab::netprofile;
use farend_lab::{CallTruth, CodecSpec, NetworkProfile};
use farend_scenario::{NetworkSpec, Scenario};

/// A profile that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NetworkError {
    /// A lab file's profile names a codec farend does not have.
    #[error("{file}:{line}:{column}: network profile `{profile}`: {message}")]
    Codec {
        /// The lab file.
        file: String,
        /// Line of the codec.
        line: usize,
        /// Column of the codec.
        column: usize,
        /// The profile.
        profile: String,
        /// What is wrong with the codec.
        message: String,
    },
    /// A scenario or `--network` names a profile no one defined.
    #[error("{place}: no network profile `{name}` (known: {known})")]
    Unknown {
        /// Where the name comes from (`file:line:column` or `--network`).
        place: String,
        /// The name.
        name: String,
        /// The names on offer.
        known: String,
    },
    /// A profile was asked for on a lab of real handsets.
    #[error(
        "{place}: network profile `{name}` needs the built-in virtual lab; a lab of real handsets runs on the real network"
    )]
    RealLab {
        /// Where the name comes from.
        place: String,
        /// The name.
        name: String,
    },
}

/// The profiles on offer: the built-in ones, then the lab file's (a lab file's profile
/// replaces a built-in one of the same name).
pub fn profiles(
    lab_file: Option<&farend_scenario::Lab>,
) -> Result<Vec<NetworkProfile>, NetworkError> {
    let mut out = netprofile::builtin();
    for spec in lab_file.map_or(&[][..], |l| &l.networks) {
        let profile = from_spec(spec, lab_file.map_or(Path::new(""), |l| &l.path))?;
        out.retain(|p| p.name != profile.name);
        out.push(profile);
    }
    Ok(out)
}

/// A lab file's profile as the virtual network runs it.
fn from_spec(spec: &NetworkSpec, file: &Path) -> Result<NetworkProfile, NetworkError> {
    let codec: CodecSpec =
        spec.codec
            .parse()
            .map_err(|e: farend_lab::CodecError| NetworkError::Codec {
                file: file.display().to_string(),
                line: spec.codec_location.line,
                column: spec.codec_location.column,
                profile: spec.name.clone(),
                message: e.to_string(),
            })?;
    let clean = NetworkProfile::clean(&spec.name, codec);
    Ok(NetworkProfile {
        delay: spec.delay.unwrap_or(clean.delay),
        jitter_ms: spec.jitter_ms,
        loss: spec.loss,
        gain_db: spec.gain_db,
        noise_dbfs: spec.noise_dbfs,
        clock_ppm: spec.clock_ppm,
        faults: spec.faults.clone(),
        radio: spec.radio,
        volte: spec.volte,
        ..clean
    })
}

/// Which profile each case runs on: `--network` for every case, else the scenario's
/// `network:`, else the lab's default (`None`).
#[derive(Debug, Clone, Default)]
pub struct NetworkChoice {
    /// The profiles on offer.
    pub profiles: Vec<NetworkProfile>,
    /// `--network NAME`: the profile every case runs on.
    pub forced: Option<String>,
}

impl NetworkChoice {
    /// The profile `scenario` runs on (`None`: the lab's default).
    pub fn for_scenario(&self, scenario: &Scenario) -> Option<&NetworkProfile> {
        let name = self
            .forced
            .as_deref()
            .or(scenario.network.as_ref().map(|n| n.name.as_str()))?;
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Checks every name the run will use before anything runs: `--network` and each
    /// scenario's `network:` must name a profile, and only a virtual lab takes one.
    pub fn check(&self, scenarios: &[&Scenario], virtual_lab: bool) -> Result<(), NetworkError> {
        let mut asked: Vec<(String, &str)> = Vec::new();
        if let Some(name) = &self.forced {
            asked.push(("--network".into(), name));
        } else {
            for s in scenarios {
                if let Some(n) = &s.network {
                    let place = format!(
                        "{}:{}:{}",
                        s.path.display(),
                        n.location.line,
                        n.location.column
                    );
                    asked.push((place, &n.name));
                }
            }
        }
        for (place, name) in asked {
            if !virtual_lab {
                return Err(NetworkError::RealLab {
                    place,
                    name: name.to_owned(),
                });
            }
            if !self.profiles.iter().any(|p| p.name == name) {
                let known: Vec<&str> = self.profiles.iter().map(|p| p.name.as_str()).collect();
                return Err(NetworkError::Unknown {
                    place,
                    name: name.to_owned(),
                    known: known.join(", "),
                });
            }
        }
        Ok(())
    }
}

/// `network-truth.json` of one case: the profile, the faults of the calls' setup (`at_ms`
/// from the dial) and, per way of each answered call, what really happened (faults `at_ms`
/// from the answer). `role_of` names each handset index's party (`a`, `b`).
pub fn truth_json(
    profile: &str,
    truths: &[CallTruth],
    role_of: &dyn Fn(usize) -> String,
) -> serde_json::Value {
    let directions: Vec<serde_json::Value> = truths
        .iter()
        .flat_map(|call| &call.directions)
        .map(|d| {
            let mode = mode_of(&d.codec);
            serde_json::json!({
                "from": role_of(d.from),
                "to": role_of(d.to),
                "codec": codec_of(&d.codec),
                "mode": mode,
                "frames_sent": d.frames_sent,
                "frames_lost": d.frames_lost,
                "frames_late": d.frames_late,
                "delay_ms": { "mean": d.delay.mean_ms, "min": d.delay.min_ms, "max": d.delay.max_ms },
                "playout_delay_ms": d.delay.history_ms,
                "clock_drift": d.drift.as_ref().map(|c| serde_json::json!({
                    "ppm": c.ppm,
                    "start_ms": c.start_ms,
                    "end_ms": c.end_ms,
                    "slips_ms": c.slips_ms,
                })),
                "faults": d.faults.iter().map(|f| serde_json::json!({
                    "kind": f.kind,
                    "at_ms": f.at_ms,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let faults: Vec<serde_json::Value> = truths
        .iter()
        .flat_map(|call| &call.setup_faults)
        .map(|f| serde_json::json!({ "kind": f.kind, "at_ms": f.at_ms }))
        .collect();
    serde_json::json!({
        "profile": profile,
        "calls": truths.len(),
        "faults": faults,
        "directions": directions,
    })
}

/// The codec's family name as a profile writes it (`amr-wb`).
fn codec_of(codec: &CodecSpec) -> String {
    let text = codec.to_string();
    text.split(':').next().unwrap_or_default().to_owned()
}

/// The codec's mode or bit rate as a profile writes it (`12.65`), or null.
fn mode_of(codec: &CodecSpec) -> Option<String> {
    let text = codec.to_string();
    text.split_once(':').map(|(_, m)| m.to_owned())
}
