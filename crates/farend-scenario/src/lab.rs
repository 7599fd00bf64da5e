//! Reading and validating lab files.

use std::path::Path;
use std::time::Duration;

use crate::diag::{Collector, LoadError, Location};
use crate::model::{HandsetAccess, HandsetSpec, Lab};
use crate::yaml::{self, Node, Value};
use farend_device::{DIALABLE_RULE, is_dialable};

/// Largest fixed sound card latency a lab file may declare, in milliseconds.
const MAX_FIXED_DELAY_MS: f64 = 1000.0;

/// Rates the built-in lab's virtual sound cards can run at (`virtual.sample_rate`).
pub const VIRTUAL_CARD_RATES: [u32; 4] = [8000, 16000, 24000, 48000];

/// Whether `s` looks like `HOST:PORT` (port 1..=65535; IPv6 hosts in brackets).
pub fn is_host_port(s: &str) -> bool {
    let Some((host, port)) = s.rsplit_once(':') else {
        return false;
    };
    let host_ok = if let Some(inner) = host.strip_prefix('[') {
        inner
            .strip_suffix(']')
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'))
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    };
    host_ok && port.parse::<u16>().is_ok_and(|p| p != 0) && !port.starts_with('+')
}

/// Whether `s` is a sound card endpoint: `virtual:HOST:PORT`, `pulseaudio:NAME` or `alsa:NAME`.
pub fn is_audio_endpoint(s: &str) -> bool {
    if let Some(addr) = s.strip_prefix("virtual:") {
        return is_host_port(addr);
    }
    let name = s
        .strip_prefix("pulseaudio:")
        .or_else(|| s.strip_prefix("alsa:"));
    name.is_some_and(|n| !n.is_empty() && !n.chars().any(char::is_whitespace))
}

/// Reads and validates a lab file.
pub fn load_lab(path: &Path) -> Result<Lab, LoadError> {
    let text = crate::read_text(path)?;
    parse_lab(&text, path)
}

/// Validates lab text that was read from `path` (used in messages).
pub fn parse_lab(text: &str, path: &Path) -> Result<Lab, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut c = Collector::new(path.to_path_buf(), text);
    let lab = yaml::parse(text, &mut c, "lab").and_then(|root| read_lab(&mut c, &root, path));
    match lab {
        Some(l) if c.is_clean() => Ok(l),
        _ => Err(LoadError::Invalid {
            diagnostics: c.finish(),
        }),
    }
}

fn read_lab(c: &mut Collector<'_>, root: &Node, path: &Path) -> Option<Lab> {
    if matches!(root.value, Value::Null) {
        c.error(
            Location::new(1, 1),
            "the file has no content (expected a lab mapping with `handsets`)",
        );
        return None;
    }
    let f = yaml::fields(
        c,
        root,
        "the lab file",
        &["adb", "evidence", "handsets", "network", "virtual"],
    )?;
    let bug_report_on_failure = match f.get("evidence") {
        Some(n) => read_evidence(c, n)?,
        None => None,
    };
    let networks = match f.get("network") {
        Some(n) => Some(crate::network::read_networks(c, n)?),
        None => None,
    };
    let (virtual_handsets, virtual_sample_rate) = match f.get("virtual") {
        Some(n) => {
            let vf = yaml::fields(c, n, "`virtual`", &["handsets", "sample_rate"])?;
            let handsets = match vf.get("handsets") {
                Some(h) => Some(yaml::integer(c, h, "`virtual.handsets`", 2, 64)? as usize),
                None => None,
            };
            let rate = match vf.get("sample_rate") {
                Some(r) => {
                    let hz = yaml::integer(c, r, "`virtual.sample_rate`", 8000, 48000)? as u32;
                    if !VIRTUAL_CARD_RATES.contains(&hz) {
                        c.error(
                            r.loc,
                            format!(
                                "`virtual.sample_rate` is {hz} Hz; the virtual sound cards run at 8000, 16000, 24000 or 48000 Hz"
                            ),
                        );
                        return None;
                    }
                    Some(hz)
                }
                None => None,
            };
            (handsets, rate)
        }
        None => (None, None),
    };
    // `evidence:` alone (no handsets, no adb server) also describes the built-in lab.
    let evidence_only =
        f.get("evidence").is_some() && f.get("handsets").is_none() && f.get("adb").is_none();
    let describes_virtual = networks.is_some() || f.get("virtual").is_some() || evidence_only;
    if describes_virtual {
        if let Some(k) = f.key("handsets") {
            c.error(
                k.loc,
                "`handsets` and `network`/`virtual` do not go together: `network` profiles and `virtual` apply to the built-in virtual lab only; a lab of real handsets cannot apply them",
            );
            return None;
        }
        return Some(Lab {
            path: path.to_path_buf(),
            adb_server: None,
            handsets: Vec::new(),
            virtual_handsets,
            virtual_sample_rate,
            networks: networks.unwrap_or_default(),
            bug_report_on_failure,
        });
    }
    let adb_server = match f.get("adb") {
        Some(n) => {
            let af = yaml::fields(c, n, "`adb`", &["server"])?;
            match af.get("server") {
                Some(s) => {
                    let server = yaml::text(c, s, "`adb.server`")?;
                    if !is_host_port(&server) {
                        c.error(
                            s.loc,
                            format!(
                                "`adb.server` `{server}` is not HOST:PORT (e.g. 127.0.0.1:5037)"
                            ),
                        );
                        return None;
                    }
                    Some(server)
                }
                None => None,
            }
        }
        None => None,
    };
    let hn = f.require(c, "handsets", "the lab file")?;
    let Value::Seq(items) = &hn.value else {
        c.error(
            hn.loc,
            format!(
                "`handsets` must be a list of handsets, found {}",
                hn.value.kind()
            ),
        );
        return None;
    };
    if items.is_empty() {
        c.error(hn.loc, "`handsets` is empty: list at least one handset");
        return None;
    }
    let mut handsets: Vec<HandsetSpec> = Vec::new();
    let mut seen: Vec<(&'static str, String, Location)> = Vec::new();
    let mut ok = true;
    for item in items {
        match read_handset(c, item, &mut seen) {
            Some(h) => handsets.push(h),
            None => ok = false,
        }
    }
    ok.then(|| Lab {
        path: path.to_path_buf(),
        adb_server,
        handsets,
        virtual_handsets: None,
        virtual_sample_rate: None,
        networks: Vec::new(),
        bug_report_on_failure,
    })
}

/// How long a bug report may take unless `bugreport_within` says otherwise.
pub const DEFAULT_BUG_REPORT_WITHIN: Duration = Duration::from_secs(180);

/// Longest `bugreport_within` a lab file may ask for.
const MAX_BUG_REPORT_WITHIN: Duration = Duration::from_secs(30 * 60);

/// Reads `evidence: { bugreport: never | on_failure, bugreport_within: 3m }`; returns how
/// long a bug report may take when one is wanted after a failing case.
fn read_evidence(c: &mut Collector<'_>, node: &Node) -> Option<Option<Duration>> {
    let f = yaml::fields(c, node, "`evidence`", &["bugreport", "bugreport_within"])?;
    let wanted = match f.get("bugreport") {
        Some(n) => match yaml::text(c, n, "`evidence.bugreport`")?.as_str() {
            "never" => false,
            "on_failure" => true,
            other => {
                c.error(
                    n.loc,
                    format!("`evidence.bugreport` is `never` or `on_failure`, not `{other}`"),
                );
                return None;
            }
        },
        None => false,
    };
    let within = match f.get("bugreport_within") {
        Some(n) => {
            let d = crate::scenario::duration(c, n, "`evidence.bugreport_within`")?;
            if d.is_zero() || d > MAX_BUG_REPORT_WITHIN {
                c.error(
                    n.loc,
                    "`evidence.bugreport_within` must lie between 1s and 30m (a bug report takes one to several minutes)",
                );
                return None;
            }
            d
        }
        None => DEFAULT_BUG_REPORT_WITHIN,
    };
    Some(wanted.then_some(within))
}

/// Records `value` as used by `what`; reports it if it was used before.
fn unique(
    c: &mut Collector<'_>,
    seen: &mut Vec<(&'static str, String, Location)>,
    what: &'static str,
    value: &str,
    loc: Location,
) -> bool {
    if let Some((_, _, first)) = seen.iter().find(|(w, v, _)| *w == what && v == value) {
        c.error(
            loc,
            format!(
                "duplicate handset {what} `{value}` (already used at line {})",
                first.line
            ),
        );
        return false;
    }
    seen.push((what, value.to_owned(), loc));
    true
}

fn read_handset(
    c: &mut Collector<'_>,
    node: &Node,
    seen: &mut Vec<(&'static str, String, Location)>,
) -> Option<HandsetSpec> {
    let f = yaml::fields(
        c,
        node,
        "a handset",
        &["id", "serial", "connect", "number", "audio"],
    )?;
    let id = f.require(c, "id", "a handset").and_then(|n| {
        let id = yaml::text(c, n, "`id`")?;
        let valid = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !valid {
            c.error(
                n.loc,
                format!("invalid handset id `{id}`: use letters, digits, `.`, `_` and `-` only"),
            );
            return None;
        }
        unique(c, seen, "id", &id, n.loc).then_some(id)
    });
    let access = match (f.get("serial"), f.get("connect")) {
        (Some(_), Some(n)) => {
            let loc = f.key("connect").map_or(n.loc, |k| k.loc);
            c.error(
                loc,
                "a handset takes either `serial` (through the adb server) or `connect` (HOST:PORT), not both",
            );
            None
        }
        (None, None) => {
            c.error(
                f.loc,
                "a handset needs `serial` (through the adb server) or `connect` (HOST:PORT)",
            );
            None
        }
        (Some(n), None) => yaml::text(c, n, "`serial`").and_then(|s| {
            if s.is_empty() || s.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
                c.error(n.loc, format!("invalid serial `{s}`: it must be one word"));
                return None;
            }
            unique(c, seen, "serial", &s, n.loc).then_some(HandsetAccess::Serial(s))
        }),
        (None, Some(n)) => yaml::text(c, n, "`connect`").and_then(|s| {
            if !is_host_port(&s) {
                c.error(
                    n.loc,
                    format!("`connect` `{s}` is not HOST:PORT (e.g. 127.0.0.1:40001)"),
                );
                return None;
            }
            unique(c, seen, "connect address", &s, n.loc).then_some(HandsetAccess::Connect(s))
        }),
    };
    let number = f.require(c, "number", "a handset").and_then(|n| {
        let num = yaml::text(c, n, "`number`")?;
        if !is_dialable(&num) {
            c.error(
                n.loc,
                format!("`{num}` is not a dialable number ({DIALABLE_RULE})"),
            );
            return None;
        }
        unique(c, seen, "number", &num, n.loc).then_some(num)
    });
    let audio_location = f.get("audio").map_or(node.loc, |n| n.loc);
    let audio = f.require(c, "audio", "a handset").and_then(|n| {
        let af = yaml::fields(
            c,
            n,
            "`audio`",
            &["mic", "ear", "mic_delay_ms", "ear_delay_ms"],
        )?;
        let endpoint = |c: &mut Collector<'_>, key: &str| -> Option<String> {
            let v = af.require(c, key, "`audio`")?;
            let s = yaml::text(c, v, &format!("`audio.{key}`"))?;
            if !is_audio_endpoint(&s) {
                c.error(
                    v.loc,
                    format!(
                        "`audio.{key}` `{s}` is not a sound card endpoint (expected virtual:HOST:PORT, pulseaudio:NAME or alsa:NAME)"
                    ),
                );
                return None;
            }
            Some(s)
        };
        // A latency the lab knows (measured once with `farend audio check` over a cable):
        // 0 to MAX_FIXED_DELAY_MS milliseconds.
        let latency = |c: &mut Collector<'_>, key: &str| -> Option<Duration> {
            let Some(v) = af.get(key) else {
                return Some(Duration::ZERO);
            };
            let ms = yaml::number(c, v, &format!("`audio.{key}`"))?;
            if !(0.0..=MAX_FIXED_DELAY_MS).contains(&ms) {
                c.error(
                    v.loc,
                    format!(
                        "`audio.{key}` {ms} is out of range: a sound card latency is 0 to {MAX_FIXED_DELAY_MS} ms"
                    ),
                );
                return None;
            }
            Some(Duration::from_secs_f64(ms / 1000.0))
        };
        let mic = endpoint(c, "mic");
        let ear = endpoint(c, "ear");
        let mic_delay = latency(c, "mic_delay_ms");
        let ear_delay = latency(c, "ear_delay_ms");
        Some((mic?, ear?, mic_delay?, ear_delay?))
    });
    let (mic, ear, mic_delay, ear_delay) = audio?;
    Some(HandsetSpec {
        id: id?,
        access: access?,
        number: number?,
        mic,
        ear,
        mic_delay,
        ear_delay,
        location: node.loc,
        audio_location,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sound_card_latencies_are_read_and_default_to_zero() {
        let text = "handsets:\n  - id: h1\n    serial: S1\n    number: \"+1\"\n    audio: { mic: \"pulseaudio:a\", ear: \"pulseaudio:b.monitor\", mic_delay_ms: 12.5, ear_delay_ms: 8 }\n  - id: h2\n    serial: S2\n    number: \"+2\"\n    audio: { mic: \"pulseaudio:c\", ear: \"pulseaudio:d.monitor\" }\n";
        let lab = parse_lab(text, Path::new("lab.yaml")).expect("valid lab");
        assert_eq!(lab.handsets[0].mic_delay, Duration::from_micros(12_500));
        assert_eq!(lab.handsets[0].ear_delay, Duration::from_millis(8));
        assert_eq!(lab.handsets[1].mic_delay, Duration::ZERO);
        assert_eq!(lab.handsets[1].ear_delay, Duration::ZERO);
    }

    #[test]
    fn host_port() {
        for ok in [
            "127.0.0.1:5037",
            "localhost:1",
            "lab-host.example:65535",
            "[::1]:5037",
        ] {
            assert!(is_host_port(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            ":5037",
            "127.0.0.1:0",
            "127.0.0.1:65536",
            "h:+1",
            "a b:1",
            "h:",
            "[]:1",
        ] {
            assert!(!is_host_port(bad), "{bad}");
        }
    }

    #[test]
    fn audio_endpoints() {
        for ok in [
            "virtual:127.0.0.1:40101",
            "pulseaudio:lab_a_ear.monitor",
            "alsa:hw:1,0",
        ] {
            assert!(is_audio_endpoint(ok), "{ok}");
        }
        for bad in [
            "virtual:127.0.0.1",
            "pulseaudio:",
            "alsa:",
            "jack:system",
            "hw:1,0",
            "alsa:a b",
        ] {
            assert!(!is_audio_endpoint(bad), "{bad}");
        }
    }
}
