//! Reading a lab file's `network:` profiles of the virtual network.

use std::time::Duration;

use crate::diag::Collector;
use crate::model::{FaultSpec, FaultWay, LossSpec, NetworkSpec, RadioAccess};
use crate::scenario::{duration, is_valid_scenario_name};
use crate::yaml::{self, Node, Value};

/// Keys of one profile.
const PROFILE_KEYS: &[&str] = &[
    "codec",
    "mode",
    "delay_ms",
    "loss",
    "gain_db",
    "noise_dbfs",
    "faults",
    "jitter_ms",
    "clock_ppm",
    "radio",
    "volte",
];
/// Largest sample-clock offset between two cards a profile may ask for, in ppm (sound
/// cards are specified to about ±100).
const MAX_CLOCK_PPM: f64 = 500.0;
/// Longest transport delay a profile may ask for, in ms.
const MAX_DELAY_MS: f64 = 2000.0;

/// Reads `network:`: a mapping of profile names to profiles.
pub(crate) fn read_networks(c: &mut Collector<'_>, node: &Node) -> Option<Vec<NetworkSpec>> {
    let Value::Map(entries) = &node.value else {
        c.error(
            node.loc,
            format!(
                "`network` must map profile names to profiles, found {}",
                node.value.kind()
            ),
        );
        return None;
    };
    let mut out: Vec<NetworkSpec> = Vec::new();
    let mut ok = true;
    for (key, value) in entries {
        let Some(name) = yaml::text(c, key, "a network profile name") else {
            ok = false;
            continue;
        };
        if !is_valid_scenario_name(&name) {
            c.error(
                key.loc,
                format!(
                    "invalid network profile name `{name}`: use lower-case letters, digits, `.`, `_` and `-` only"
                ),
            );
            ok = false;
            continue;
        }
        match read_profile(c, &name, key, value) {
            Some(p) => out.push(p),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_profile(c: &mut Collector<'_>, name: &str, key: &Node, node: &Node) -> Option<NetworkSpec> {
    let context = format!("network profile `{name}`");
    let f = yaml::fields(c, node, &context, PROFILE_KEYS)?;
    let mut ok = true;
    let codec_node = f.require(c, "codec", &context)?;
    let mut codec = yaml::text(c, codec_node, "`codec`")?;
    if let Some(mode) = f.get("mode") {
        let text = mode.text.clone().unwrap_or_default();
        if text.is_empty() {
            c.error(mode.loc, "`mode` must be a codec mode such as 12.65");
            ok = false;
        }
        codec = format!("{codec}:{text}");
    }
    let delay = match f.get("delay_ms") {
        Some(n) => {
            let ms = yaml::number(c, n, "`delay_ms`")?;
            if !(0.0..=MAX_DELAY_MS).contains(&ms) {
                c.error(
                    n.loc,
                    format!("`delay_ms` must be 0 to {MAX_DELAY_MS}, found {ms}"),
                );
                return None;
            }
            Some(Duration::from_secs_f64(ms / 1000.0))
        }
        None => None,
    };
    let loss = match f.get("loss") {
        Some(n) => read_loss(c, n)?,
        None => LossSpec::None,
    };
    let jitter_ms = match f.get("jitter_ms") {
        Some(n) => bounded(c, n, "`jitter_ms`", 0.0, 500.0)?,
        None => 0.0,
    };
    let gain_db = match f.get("gain_db") {
        Some(n) => bounded(c, n, "`gain_db`", -60.0, 40.0)?,
        None => 0.0,
    };
    let noise_dbfs = match f.get("noise_dbfs") {
        Some(n) => Some(bounded(c, n, "`noise_dbfs`", -120.0, 0.0)?),
        None => None,
    };
    let clock_ppm = match f.get("clock_ppm") {
        Some(n) => bounded(c, n, "`clock_ppm`", -MAX_CLOCK_PPM, MAX_CLOCK_PPM)?,
        None => 0.0,
    };
    let faults = match f.get("faults") {
        Some(n) => read_faults(c, n)?,
        None => Vec::new(),
    };
    let radio = match f.get("radio") {
        Some(n) => read_radio(c, n)?,
        None => RadioAccess::default(),
    };
    let volte = match f.get("volte") {
        Some(n) => {
            let volte = yaml::boolean(c, n, "`volte`")?;
            if volte && !radio.carries_ims_voice() {
                c.error(
                    n.loc,
                    format!(
                        "`volte: true` needs `radio: LTE` or `NR`; {} carries voice circuit-switched",
                        radio.name()
                    ),
                );
                return None;
            }
            volte
        }
        // LTE and NR networks carry voice over IMS unless the profile says otherwise.
        None => radio.carries_ims_voice(),
    };
    ok.then(|| NetworkSpec {
        name: name.to_owned(),
        location: key.loc,
        codec,
        codec_location: codec_node.loc,
        delay,
        loss,
        jitter_ms,
        gain_db,
        noise_dbfs,
        clock_ppm,
        faults,
        radio,
        volte,
    })
}

/// `radio: GSM | UMTS | LTE | NR`.
fn read_radio(c: &mut Collector<'_>, node: &Node) -> Option<RadioAccess> {
    let text = yaml::text(c, node, "`radio`")?;
    let found = RadioAccess::ALL
        .into_iter()
        .find(|r| r.name().eq_ignore_ascii_case(&text));
    if found.is_none() {
        let names: Vec<&str> = RadioAccess::ALL.iter().map(|r| r.name()).collect();
        c.error(
            node.loc,
            format!(
                "unknown radio access `{text}` (expected {})",
                names.join(", ")
            ),
        );
    }
    found
}

/// A number in `min..=max`.
fn bounded(c: &mut Collector<'_>, node: &Node, what: &str, min: f64, max: f64) -> Option<f64> {
    let v = yaml::number(c, node, what)?;
    if (min..=max).contains(&v) {
        Some(v)
    } else {
        c.error(
            node.loc,
            format!("{what} must be {min} to {max}, found {v}"),
        );
        None
    }
}

fn read_loss(c: &mut Collector<'_>, node: &Node) -> Option<LossSpec> {
    let f = yaml::fields(c, node, "`loss`", &["model", "p", "r"])?;
    let model_node = f.require(c, "model", "`loss`")?;
    let model = yaml::text(c, model_node, "`loss.model`")?;
    let probability = |c: &mut Collector<'_>, key: &str| -> Option<f64> {
        let n = f.require(c, key, "`loss`")?;
        bounded(c, n, &format!("`loss.{key}`"), 0.0, 1.0)
    };
    match model.as_str() {
        "random" => Some(LossSpec::Random {
            p: probability(c, "p")?,
        }),
        "gilbert" => Some(LossSpec::Gilbert {
            p: probability(c, "p")?,
            r: probability(c, "r")?,
        }),
        other => {
            c.error(
                model_node.loc,
                format!("unknown loss model `{other}` (expected `random` or `gilbert`)"),
            );
            None
        }
    }
}

fn read_faults(c: &mut Collector<'_>, node: &Node) -> Option<Vec<FaultSpec>> {
    let Value::Seq(items) = &node.value else {
        c.error(
            node.loc,
            format!("`faults` must be a list, found {}", node.value.kind()),
        );
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        match read_fault(c, item) {
            Some(fault) => out.push(fault),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_fault(c: &mut Collector<'_>, node: &Node) -> Option<FaultSpec> {
    let f = yaml::fields(
        c,
        node,
        "a fault",
        &["kind", "after", "from", "to", "way", "cause"],
    )?;
    let kind_node = f.require(c, "kind", "a fault")?;
    let kind = yaml::text(c, kind_node, "`kind`")?;
    let time = |c: &mut Collector<'_>, key: &str| -> Option<Duration> {
        let n = f.require(c, key, &format!("a `{kind}` fault"))?;
        duration(c, n, &format!("`{key}`"))
    };
    let way = |c: &mut Collector<'_>, default: FaultWay| -> Option<FaultWay> {
        let Some(n) = f.get("way") else {
            return Some(default);
        };
        match yaml::text(c, n, "`way`")?.as_str() {
            "uplink" => Some(FaultWay::Uplink),
            "downlink" => Some(FaultWay::Downlink),
            "both" => Some(FaultWay::Both),
            other => {
                c.error(
                    n.loc,
                    format!("unknown way `{other}` (expected `uplink`, `downlink` or `both`)"),
                );
                None
            }
        }
    };
    match kind.as_str() {
        "drop" => Some(FaultSpec::Drop {
            after: time(c, "after")?,
        }),
        "one_way" => Some(FaultSpec::OneWay {
            after: f
                .get("after")
                .map_or(Some(Duration::ZERO), |n| duration(c, n, "`after`"))?,
            way: way(c, FaultWay::Downlink)?,
        }),
        "busy" => Some(FaultSpec::Busy),
        "out_of_service" => Some(FaultSpec::OutOfService),
        "reject" => {
            let n = f.require(c, "cause", "a `reject` fault")?;
            let cause = yaml::integer(c, n, "`cause` (3GPP TS 24.008)", 1, 127)?;
            Some(FaultSpec::Reject {
                cause: cause as u32,
            })
        }
        "no_answer" => Some(FaultSpec::NoAnswer {
            after: time(c, "after")?,
        }),
        "slow_setup" => Some(FaultSpec::SlowSetup {
            after: time(c, "after")?,
        }),
        "adb_unresponsive" => Some(FaultSpec::AdbUnresponsive {
            after: time(c, "after")?,
        }),
        "crossed" => Some(FaultSpec::Crossed {
            after: f
                .get("after")
                .map_or(Some(Duration::ZERO), |n| duration(c, n, "`after`"))?,
            way: way(c, FaultWay::Uplink)?,
        }),
        "mute" => {
            let (from, to) = (time(c, "from")?, time(c, "to")?);
            if to <= from {
                c.error(
                    node.loc,
                    "a `mute` fault must end (`to`) after it starts (`from`)",
                );
                return None;
            }
            Some(FaultSpec::Mute {
                from,
                to,
                way: way(c, FaultWay::Both)?,
            })
        }
        other => {
            c.error(
                kind_node.loc,
                format!(
                    "unknown fault kind `{other}` (expected `drop`, `one_way`, `mute`, `crossed`, `busy`, `reject`, `no_answer`, `slow_setup`, `out_of_service` or `adb_unresponsive`)"
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{FaultSpec, FaultWay, LossSpec, RadioAccess};
    use crate::parse_lab;
    use std::path::Path;
    use std::time::Duration;

    #[test]
    fn a_lab_file_of_profiles_describes_the_virtual_lab() {
        let faults = parse_lab(
            "network:\n  f: { codec: g711a, faults: [ { kind: busy }, { kind: reject, cause: 34 }, { kind: no_answer, after: 20s }, { kind: slow_setup, after: 6s } ] }\n",
            Path::new("lab.yaml"),
        )
        .unwrap();
        assert_eq!(
            faults.networks[0].faults,
            [
                FaultSpec::Busy,
                FaultSpec::Reject { cause: 34 },
                FaultSpec::NoAnswer {
                    after: Duration::from_secs(20)
                },
                FaultSpec::SlowSetup {
                    after: Duration::from_secs(6)
                }
            ]
        );
        let lab = parse_lab(
            "network:\n  lte-poor: { codec: amr-wb, mode: 12.65, loss: { model: gilbert, p: 0.02, r: 0.3 }, delay_ms: 120 }\n  dropped: { codec: g711a, faults: [ { kind: drop, after: 8s }, { kind: mute, from: 1s, to: 2s, way: uplink } ] }\nvirtual: { handsets: 6, sample_rate: 48000 }\n",
            Path::new("lab.yaml"),
        )
        .unwrap();
        assert!(lab.handsets.is_empty());
        assert_eq!(lab.virtual_handsets, Some(6));
        assert_eq!(lab.virtual_sample_rate, Some(48000));
        let err = parse_lab("virtual: { sample_rate: 44100 }\n", Path::new("lab.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("lab.yaml:1:") && err.contains("8000, 16000, 24000 or 48000"),
            "{err}"
        );
        let [poor, dropped] = &lab.networks[..] else {
            panic!("{:?}", lab.networks)
        };
        assert_eq!(poor.codec, "amr-wb:12.65");
        // LTE with voice over IMS unless a profile says otherwise.
        assert_eq!((poor.radio, poor.volte), (RadioAccess::Lte, true));
        let access = parse_lab(
            "network:\n  csfb: { codec: amr-nb, volte: false }\n  threeg: { codec: amr-nb, radio: umts }\n  sa: { codec: amr-wb, radio: NR }\n",
            Path::new("lab.yaml"),
        )
        .unwrap();
        let read: Vec<(RadioAccess, bool)> =
            access.networks.iter().map(|n| (n.radio, n.volte)).collect();
        assert_eq!(
            read,
            [
                (RadioAccess::Lte, false),
                (RadioAccess::Umts, false),
                (RadioAccess::Nr, true)
            ]
        );
        assert_eq!(poor.loss, LossSpec::Gilbert { p: 0.02, r: 0.3 });
        assert_eq!(poor.delay, Some(Duration::from_millis(120)));
        assert_eq!(
            dropped.faults,
            [
                FaultSpec::Drop {
                    after: Duration::from_secs(8)
                },
                FaultSpec::Mute {
                    from: Duration::from_secs(1),
                    to: Duration::from_secs(2),
                    way: FaultWay::Uplink
                }
            ]
        );
    }

    #[test]
    fn bad_profiles_are_pointed_at() {
        let cases = [
            (
                "network:\n  x: { codec: g711a, loss: { model: burst, p: 0.1 } }\n",
                "2:37",
                "unknown loss model `burst`",
            ),
            (
                "network:\n  x: { codec: g711a, loss: { model: random, p: 1.5 } }\n",
                "2:48",
                "`loss.p` must be 0 to 1",
            ),
            (
                "network:\n  x: { codec: g711a, faults: [ { kind: mute, from: 2s, to: 1s } ] }\n",
                "2:32",
                "must end",
            ),
            (
                "network:\n  x: { codec: g711a, clock_ppm: 900 }\n",
                "2:33",
                "`clock_ppm` must be -500 to 500",
            ),
            (
                "network:\n  x: { codec: g711a }\n  x: { codec: g711u }\n",
                "3:3",
                "duplicate key `x`",
            ),
            (
                "network:\n  x: { codec: amr-nb, radio: 6G }\n",
                "2:30",
                "unknown radio access `6G` (expected GSM, UMTS, LTE, NR)",
            ),
            (
                "network:\n  x: { codec: amr-nb, radio: umts, volte: true }\n",
                "2:43",
                "`volte: true` needs `radio: LTE` or `NR`; UMTS carries voice circuit-switched",
            ),
            (
                "network:\n  x: { codec: g711a }\nhandsets:\n  - id: p\n",
                "3:1",
                "a lab of real handsets cannot apply them",
            ),
        ];
        for (text, at, message) in cases {
            let err = parse_lab(text, Path::new("lab.yaml"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("lab.yaml:{at}")) && err.contains(message),
                "{text}: {err}"
            );
        }
    }
}
