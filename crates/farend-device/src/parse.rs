//! Pure parsers for the output of the Android commands the device layer runs.
//!
//! Formats shift between Android releases, so every parser is lenient: it looks for the
//! fields it needs wherever they appear and ignores everything else.

use std::collections::BTreeMap;

use crate::{CallState, Identity, ParseError, TelecomCall};

/// The exit-status marker the device layer appends to every command (`; echo :farend-rc:$?`).
pub const EXIT_MARKER: &str = ":farend-rc:";

/// Splits the exit-status marker off the end of a command's output.
///
/// Returns the output before the marker and the status, or `None` when the output does not
/// end with `:farend-rc:<n>` (optionally followed by line ends). Output that did not end in a
/// newline before the marker is returned as it was.
pub fn split_exit_marker(output: &str) -> Option<(&str, i32)> {
    let (before, code) = split_exit_marker_bytes(output.as_bytes())?;
    // The marker is ASCII, so the split falls on a character boundary.
    Some((&output[..before.len()], code))
}

/// [`split_exit_marker`] on raw output (which may be a binary file): the bytes before the
/// last marker and the exit status after it; trailing CR/LF/space after the status are allowed.
pub fn split_exit_marker_bytes(output: &[u8]) -> Option<(&[u8], i32)> {
    let end = output
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r' | b' ' | b'\t'))?
        + 1;
    let marker = EXIT_MARKER.as_bytes();
    let pos = output[..end]
        .windows(marker.len())
        .rposition(|w| w == marker)?;
    let digits = std::str::from_utf8(&output[pos + marker.len()..end]).ok()?;
    let code: i32 = digits.parse().ok()?;
    Some((&output[..pos], code))
}

/// Whether the screen is on, from `dumpsys power`: `mWakefulness=Awake` (Android 5 and later;
/// `Asleep`, `Dozing` and `Dreaming` are off), or `mScreenOn=true|false` on older releases.
/// `None` when neither is printed.
pub fn screen_awake(dumpsys_power: &str) -> Option<bool> {
    if let Some(value) = value_after(dumpsys_power, "mWakefulness=") {
        return match value {
            "Awake" => Some(true),
            "Asleep" | "Dozing" | "Dreaming" => Some(false),
            _ => None,
        };
    }
    value_after(dumpsys_power, "mScreenOn=").and_then(|v| v.parse().ok())
}

/// Whether the keyguard (lock screen) is showing, from `dumpsys window`: the
/// `KeyguardController`'s `mKeyguardShowing` (Android 10 and later), else the window policy's
/// `mShowingLockscreen` (Android 8–9) or the keyguard delegate's `showing`. `None` when none
/// is printed.
pub fn keyguard_showing(dumpsys_window: &str) -> Option<bool> {
    ["mKeyguardShowing=", "mShowingLockscreen="]
        .iter()
        .find_map(|key| value_after(dumpsys_window, key))
        .or_else(|| {
            let delegate = dumpsys_window.find("KeyguardServiceDelegate")?;
            value_after(&dumpsys_window[delegate..], "showing=")
        })
        .and_then(|v| v.parse().ok())
}

/// The value after the first `key` at the start of a word: up to the next space or comma.
fn value_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = text[from..].find(key) {
        let at = from + found;
        let starts_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == ',' || c == '{');
        if starts_word {
            let rest = &text[at + key.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == ',' || c == '}')
                .unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
        from = at + key.len();
    }
    None
}

/// What `bugreportz` answered: `Some(Ok(path))` for `OK:<path>` (the zip it wrote),
/// `Some(Err(reason))` for `FAIL:<reason>`, `None` when it printed neither (a release without
/// `bugreportz`: the shell's "not found"). Progress lines (`BEGIN:`, `PROGRESS:`) are skipped.
pub fn bugreportz_answer(output: &str) -> Option<Result<String, String>> {
    output.lines().rev().find_map(|line| {
        let line = line.trim();
        if let Some(path) = line.strip_prefix("OK:") {
            let path = path.trim();
            Some(if path.is_empty() {
                Err("bugreportz named no file".to_owned())
            } else {
                Ok(path.to_owned())
            })
        } else {
            line.strip_prefix("FAIL:")
                .map(|reason| Err(reason.trim().to_owned()))
        }
    })
}

/// Parses `dumpsys telephony.registry` into `(phone id, call state)` pairs in the order printed.
///
/// Handles a `Phone Id=N` header per SIM slot (Android 8 and later; dual-SIM phones print two
/// blocks) and the older single-slot format without headers (reported as phone id 0).
/// `mCallState=N` is recognised anywhere on a line, also among other `key=value` fields.
/// Parsing stops at the `local logs:` / `listen logs:` / `registrations:` sections, whose event
/// lines are history, not state. When a block repeats `mCallState`, the first entry counts.
pub fn telephony_registry(text: &str) -> Result<Vec<(u32, CallState)>, ParseError> {
    let mut out: Vec<(u32, CallState)> = Vec::new();
    let mut phone: Option<u32> = None;
    for (index, raw_line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw_line.trim();
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("local logs")
            || lower.starts_with("listen logs")
            || lower.starts_with("registrations")
        {
            break;
        }
        if let Some(pos) = line.find("Phone Id=") {
            let rest = &line[pos + "Phone Id=".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let id = digits.parse::<u32>().map_err(|_| ParseError::BadPhoneId {
                line: line_no,
                value: rest.split_whitespace().next().unwrap_or("").to_owned(),
            })?;
            phone = Some(id);
        }
        for token in line.split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}') {
            let Some(value) = token.strip_prefix("mCallState=") else {
                continue;
            };
            let state = value
                .parse::<u32>()
                .ok()
                .and_then(CallState::from_android)
                .ok_or_else(|| ParseError::BadCallState {
                    line: line_no,
                    value: value.to_owned(),
                })?;
            let id = phone.unwrap_or(0);
            if !out.iter().any(|(seen, _)| *seen == id) {
                out.push((id, state));
            }
        }
    }
    if out.is_empty() {
        return Err(ParseError::NoCallState);
    }
    Ok(out)
}

/// The most active call state over all phone ids (offhook > ringing > idle).
pub fn most_active(states: &[(u32, CallState)]) -> CallState {
    states
        .iter()
        .fold(CallState::Idle, |acc, (_, s)| acc.most_active(*s))
}

/// Parses `getprop` output (`[name]: [value]` lines) into a map.
///
/// Values spanning several lines are joined with `\n`; lines that are not properties are skipped.
pub fn getprop(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut pending: Option<(String, String)> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some((key, mut value)) = pending.take() {
            value.push('\n');
            if let Some(end) = line.strip_suffix(']') {
                value.push_str(end);
                map.insert(key, value);
            } else {
                value.push_str(line);
                pending = Some((key, value));
            }
            continue;
        }
        let line = line.trim();
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let Some(sep) = rest.find("]: [") else {
            continue;
        };
        let key = rest[..sep].to_owned();
        if key.is_empty() {
            continue;
        }
        let value = &rest[sep + 4..];
        match value.strip_suffix(']') {
            Some(v) => {
                map.insert(key, v.to_owned());
            }
            None => pending = Some((key, value.to_owned())),
        }
    }
    map
}

/// Finds a Telecom call id (`TC@<n>`, possibly with a suffix such as `TC@3_1`) in `token`.
fn call_id(token: &str) -> Option<String> {
    let start = token.find("TC@")?;
    let rest = &token[start + 3..];
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if len == 0 || !rest.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    Some(format!("TC@{}", &rest[..len]))
}

/// A key that looks like a field name (`startTime`, `call_state`), not a timestamp or prose.
fn is_field_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Splits the current-calls line format `[TC@3, ACTIVE, ...]` or
/// `[Call id=TC@3, state=ACTIVE, ...]` into fields.
fn parse_call_list_line(line: &str) -> Option<(String, BTreeMap<String, String>)> {
    let inner = line.strip_prefix('[')?;
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    let parts: Vec<&str> = inner.split(", ").map(str::trim).collect();
    let first = parts.first()?;
    let id = call_id(first)?;
    let mut fields = BTreeMap::new();
    for (i, part) in parts.iter().enumerate().skip(1) {
        if let Some((k, v)) = part.split_once('=')
            && is_field_key(k)
        {
            fields.insert(k.to_owned(), v.to_owned());
        } else if i == 1 && part.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            fields.insert("state".to_owned(), (*part).to_owned());
        }
    }
    Some((id, fields))
}

/// Reads a `Call TC@n` (or `CallTC@n`) header: the call id and, for event-log headers such
/// as `Call TC@1 [2024-01-01 10:00:00.000](MO - outgoing)`, the direction.
fn parse_call_header(line: &str) -> Option<(String, Option<String>)> {
    // Android 15 and 16 write the event-log header without the space: `CallTC@1 [...]`.
    let rest = line.strip_prefix("Call")?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let first = rest.split_whitespace().next()?;
    if !first.starts_with("TC@") {
        return None;
    }
    let id = call_id(first)?;
    let direction = if rest.contains("(MO") {
        Some("OUTGOING".to_owned())
    } else if rest.contains("(MT") {
        Some("INCOMING".to_owned())
    } else {
        None
    };
    Some((id, direction))
}

/// Parses `dumpsys telecom` into the calls it mentions, in order of first mention.
///
/// Understands the current-call list (`[TC@2, ACTIVE, ...]` on older releases,
/// `[Call id=TC@2, state=ACTIVE, ...]` on newer ones), `Call TC@n: { key: value ... }` blocks
/// (call analytics and history) and `Call TC@n [time](MO - outgoing)` event-log headers.
/// Information about one id from several places is merged.
pub fn telecom_calls(text: &str) -> Vec<TelecomCall> {
    let mut order: Vec<String> = Vec::new();
    let mut calls: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<(String, usize)> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some((id, direction)) = parse_call_header(trimmed) {
            if !calls.contains_key(&id) {
                order.push(id.clone());
            }
            let entry = calls.entry(id.clone()).or_default();
            if let Some(d) = direction {
                entry.entry("direction".to_owned()).or_insert(d);
            }
            // Inline fields after `{` on the header line itself.
            if let Some(pos) = trimmed.find('{') {
                let tail = trimmed[pos + 1..].trim().trim_end_matches('}');
                for part in tail.split(", ") {
                    if let Some((k, v)) = part.split_once(": ").or_else(|| part.split_once('='))
                        && is_field_key(k.trim())
                    {
                        entry.insert(k.trim().to_owned(), v.trim().to_owned());
                    }
                }
            }
            current = Some((id, indent));
            continue;
        }
        if trimmed.starts_with('[')
            && let Some((id, fields)) = parse_call_list_line(trimmed)
        {
            if !calls.contains_key(&id) {
                order.push(id.clone());
            }
            let entry = calls.entry(id).or_default();
            for (k, v) in fields {
                entry.insert(k, v);
            }
            current = None;
            continue;
        }
        let Some((id, header_indent)) = &current else {
            continue;
        };
        if trimmed == "}" || indent <= *header_indent {
            current = None;
            continue;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            let k = k.trim();
            if is_field_key(k)
                && let Some(entry) = calls.get_mut(id)
            {
                entry
                    .entry(k.to_owned())
                    .or_insert_with(|| v.trim().to_owned());
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| calls.remove(&id).map(|fields| build_call(id, fields)))
        .collect()
}

fn first_of(fields: &BTreeMap<String, String>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| fields.get(*k))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn build_call(id: String, fields: BTreeMap<String, String>) -> TelecomCall {
    let direction = first_of(&fields, &["direction", "callDirection"]).map(|d| {
        let upper = d.to_ascii_uppercase();
        if upper.contains("OUT") || upper == "MO" {
            "OUTGOING".to_owned()
        } else if upper.contains("IN") || upper == "MT" {
            "INCOMING".to_owned()
        } else {
            upper
        }
    });
    let technologies = first_of(&fields, &["callTechnologies", "technologies", "technology"])
        .map(|t| {
            t.split([',', ' ', '|', '[', ']'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    TelecomCall {
        state: first_of(&fields, &["state", "callState"]),
        direction,
        start_time: first_of(&fields, &["startTime", "creationTime", "start"]),
        end_time: first_of(&fields, &["endTime", "disconnectTime", "end"]),
        technologies,
        termination: first_of(
            &fields,
            &[
                "callTerminationReason",
                "disconnectCause",
                "terminationReason",
            ],
        ),
        id,
        fields,
    }
}

/// Builds an [`Identity`] from `getprop` properties, falling back to the alternative property
/// names newer releases use. Values made only of commas (a dual-SIM phone with no operator on
/// either slot prints `,`) count as absent.
pub fn identity(props: &BTreeMap<String, String>) -> Identity {
    let get = |keys: &[&str]| {
        keys.iter()
            .filter_map(|k| props.get(*k))
            .map(|v| v.trim())
            .find(|v| {
                !v.trim_matches(|c: char| c == ',' || c.is_whitespace())
                    .is_empty()
            })
            .unwrap_or("")
            .to_owned()
    };
    Identity {
        model: get(&[
            "ro.product.model",
            "ro.product.system.model",
            "ro.product.vendor.model",
        ]),
        manufacturer: get(&[
            "ro.product.manufacturer",
            "ro.product.system.manufacturer",
            "ro.product.vendor.manufacturer",
        ]),
        device: get(&[
            "ro.product.device",
            "ro.product.system.device",
            "ro.product.vendor.device",
        ]),
        android_release: Some(get(&[
            "ro.build.version.release",
            "ro.build.version.release_or_codename",
        ]))
        .filter(|r| !r.is_empty())
        .or_else(|| release_of_fingerprint(&get(&["ro.build.fingerprint"])))
        .unwrap_or_default(),
        sdk: get(&["ro.build.version.sdk"]).parse().ok(),
        fingerprint: get(&[
            "ro.build.fingerprint",
            "ro.system.build.fingerprint",
            "ro.vendor.build.fingerprint",
        ]),
        operator: get(&["gsm.operator.alpha", "gsm.sim.operator.alpha"]),
        serialno: get(&["ro.serialno", "ro.boot.serialno"]),
    }
}

/// The release in a build fingerprint (`brand/product/device:RELEASE/ID/…`), for captures
/// that lack `ro.build.version.release` (a filtered `getprop`).
fn release_of_fingerprint(fingerprint: &str) -> Option<String> {
    let after_device = fingerprint.split_once(':')?.1;
    let release = after_device.split('/').next()?;
    (!release.is_empty() && release.chars().next()?.is_ascii_digit()).then(|| release.to_owned())
}
