//! The radio side of a handset as real releases print it: service state per SIM from
//! `dumpsys telephony.registry` (with what it shows of voice over IMS: the network's VoPS
//! support and the IMS PDN), and per-SIM operator, radio technology and SIM state from
//! `getprop`'s comma-joined `gsm.*` properties.
//!
//! Two service-state formats exist: Android 8 and later print a brace map
//! (`{mVoiceRegState=0(IN_SERVICE), …, mOperatorAlphaLong=…, getRilVoiceRadioTechnology=14(LTE), …}`),
//! Android 7 a space-separated list (`0 0 voice home data home ALPHA SHORT NUMERIC … LTE LTE
//! CSS not supported …`). Anything else is reported as [`Registration::Unknown`] with the text,
//! never guessed.

use std::collections::BTreeMap;

/// Whether a SIM is registered for voice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Registration {
    /// Registered (state 0).
    InService,
    /// Not registered (state 1).
    OutOfService,
    /// Emergency calls only (state 2).
    EmergencyOnly,
    /// Radio off (state 3).
    PowerOff,
    /// A state this parser does not know, as printed.
    Unknown(String),
}

impl std::fmt::Display for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Registration::InService => f.write_str("in service"),
            Registration::OutOfService => f.write_str("out of service"),
            Registration::EmergencyOnly => f.write_str("emergency only"),
            Registration::PowerOff => f.write_str("radio off"),
            Registration::Unknown(text) => write!(f, "unknown ({text})"),
        }
    }
}

impl Registration {
    /// From Android's `ServiceState` number.
    fn from_android(value: &str) -> Registration {
        match value {
            "0" => Registration::InService,
            "1" => Registration::OutOfService,
            "2" => Registration::EmergencyOnly,
            "3" => Registration::PowerOff,
            other => Registration::Unknown(other.to_owned()),
        }
    }
}

/// One SIM's service state from `dumpsys telephony.registry`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceState {
    /// Voice registration.
    pub voice: Registration,
    /// The network operator's long name, when printed and not `null`.
    pub operator: Option<String>,
    /// The voice radio technology (`LTE`, `NR`, `UMTS`, …), when known.
    pub radio: Option<String>,
    /// Whether the network offers voice over its packet-switched LTE bearer (VoPS), as the
    /// PS registration's `LteVopsSupportInfo` prints it (as Android 16 does); `None`: not
    /// printed, or "not available".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_over_ps: Option<bool>,
    /// The state of the IMS PDN (the data connection of an APN of type `ims`) from
    /// `mPreciseDataConnectionStates` (`CONNECTED`, `DISCONNECTED`, …), `NONE` when that
    /// list holds no IMS connection; `None` when the release prints no such list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ims_pdn: Option<String>,
}

impl ServiceState {
    /// A service state with nothing known about IMS.
    pub fn new(voice: Registration, operator: Option<String>, radio: Option<String>) -> Self {
        ServiceState {
            voice,
            operator,
            radio,
            voice_over_ps: None,
            ims_pdn: None,
        }
    }

    /// Whether calls can go over IMS (VoLTE, VoNR), as far as the registry shows it:
    /// `Some(true)` when the IMS PDN is connected and the network does not deny voice over
    /// PS, `Some(false)` when either says no, `None` when the release shows neither or the
    /// SIM is not in service. The registry prints no IMS registration as such; these are its
    /// two preconditions.
    pub fn volte(&self) -> Option<bool> {
        if self.voice != Registration::InService {
            return None;
        }
        if self.voice_over_ps == Some(false) {
            return Some(false);
        }
        self.ims_pdn.as_deref().map(|pdn| pdn == "CONNECTED")
    }
}

/// The service state of every `Phone Id` block, in order (`(phone id, state)`); blocks
/// without `mServiceState` are left out, and history sections (`local logs:` and the like)
/// are not read.
pub fn service_states(text: &str) -> Vec<(u32, ServiceState)> {
    let mut out: Vec<(u32, ServiceState)> = Vec::new();
    let mut phone = 0;
    for line in text.lines() {
        let line = line.trim();
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("local logs")
            || lower.starts_with("listen logs")
            || lower.starts_with("registrations")
        {
            break;
        }
        if let Some(id) = line.strip_prefix("Phone Id=") {
            phone = id.trim().parse().unwrap_or(phone);
        }
        if let Some(list) = line.strip_prefix("mPreciseDataConnectionStates=") {
            if let Some((_, state)) = out.iter_mut().rev().find(|(id, _)| *id == phone) {
                state.ims_pdn.get_or_insert_with(|| ims_pdn(list));
            }
            continue;
        }
        let Some(value) = line.strip_prefix("mServiceState=") else {
            continue;
        };
        if out.iter().any(|(id, _)| *id == phone) {
            continue;
        }
        out.push((phone, service_state(value)));
    }
    out
}

/// One `mServiceState=` value in either format.
pub fn service_state(value: &str) -> ServiceState {
    let value = value.trim();
    if let Some(map) = value.strip_prefix('{') {
        return brace_map(map.trim_end_matches('}'));
    }
    legacy(value).unwrap_or_else(|| {
        ServiceState::new(
            Registration::Unknown(value.chars().take(60).collect()),
            None,
            None,
        )
    })
}

/// VoPS from the PS registration's `LteVopsSupportInfo : mVopsSupport = N` (Android's
/// `LteVopsSupportInfo`: 2 supported, 3 not supported, 1 not available).
fn lte_voice_over_ps(map: &str) -> Option<bool> {
    let (_, after) = map.split_once("LteVopsSupportInfo")?;
    let (_, value) = after.split_once("mVopsSupport")?;
    let digits: String = value
        .trim_start_matches([' ', '=', ':'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    match digits.as_str() {
        "2" => Some(true),
        "3" => Some(false),
        _ => None,
    }
}

/// The IMS PDN's state in one `mPreciseDataConnectionStates=` list: entries read `Pair{N
/// [ApnSetting] NAME, …, TYPES, …}= state: STATE, …`, where TYPES joins APN types with
/// ` | `. `CONNECTED` if any IMS entry is, else the first IMS entry's state, else `NONE`.
fn ims_pdn(list: &str) -> String {
    let mut first: Option<String> = None;
    for entry in list.split("Pair{").skip(1) {
        let Some((apn, rest)) = entry.split_once("= state:") else {
            continue;
        };
        let is_ims = apn
            .split(',')
            .any(|field| field.split('|').any(|t| t.trim() == "ims"));
        if !is_ims {
            continue;
        }
        let state = rest.split(',').next().unwrap_or("").trim().to_owned();
        if state == "CONNECTED" {
            return state;
        }
        first.get_or_insert(state);
    }
    first.unwrap_or_else(|| "NONE".to_owned())
}

/// `mVoiceRegState=0(IN_SERVICE), mOperatorAlphaLong=X, getRilVoiceRadioTechnology=14(LTE)`.
fn brace_map(map: &str) -> ServiceState {
    let mut fields = BTreeMap::new();
    for part in map.split(", ") {
        if let Some((k, v)) = part.split_once('=') {
            fields.entry(k.trim()).or_insert(v.trim());
        }
    }
    // `0(IN_SERVICE)`: the number before the name.
    let number = |v: &str| v.split('(').next().unwrap_or(v).trim().to_owned();
    // `14(LTE)`: the name in brackets.
    let name = |v: &str| {
        v.split_once('(')
            .map(|(_, rest)| rest.trim_end_matches(')').to_owned())
    };
    let voice = fields
        .get("mVoiceRegState")
        .map_or(Registration::Unknown(String::new()), |v| {
            Registration::from_android(&number(v))
        });
    let operator = fields
        .get("mOperatorAlphaLong")
        .map(|v| v.to_string())
        .filter(|v| !v.is_empty() && v != "null");
    let radio = fields
        .get("getRilVoiceRadioTechnology")
        .and_then(|v| name(v))
        .filter(|r| r != "Unknown");
    ServiceState {
        voice_over_ps: lte_voice_over_ps(map),
        ..ServiceState::new(voice, operator, radio)
    }
}

/// Android 7: `1 1 voice home data home LONG SHORT NUMERIC LONG SHORT NUMERIC  RADIO RADIO CSS …`.
fn legacy(value: &str) -> Option<ServiceState> {
    let tokens: Vec<&str> = value.split_whitespace().collect();
    if tokens.len() < 8 || tokens[2] != "voice" || tokens[4] != "data" {
        return None;
    }
    let voice = Registration::from_android(tokens[0]);
    // The voice operator: the names before the first numeric operator code (long and short
    // name take the same number of words).
    let rest = &tokens[6..];
    let numeric = rest
        .iter()
        .position(|t| t.len() >= 5 && t.chars().all(|c| c.is_ascii_digit()));
    let operator = numeric
        .filter(|&n| n >= 2 && n % 2 == 0)
        .map(|n| rest[..n / 2].join(" "))
        .filter(|o| o != "null");
    // The two radio technology names sit just before `CSS`.
    let css = tokens.iter().position(|t| *t == "CSS")?;
    let radio = (css >= 2)
        .then(|| tokens[css - 2].to_owned())
        .filter(|r| r != "Unknown");
    Some(ServiceState::new(voice, operator, radio))
}

/// One SIM slot as `getprop` describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimSlot {
    /// Slot index, from 0.
    pub slot: usize,
    /// SIM state (`LOADED`, `READY`, `ABSENT`, …), when printed for the slot.
    pub state: Option<String>,
    /// The network operator's name (`gsm.operator.alpha`), when the slot has one.
    pub operator: Option<String>,
    /// The radio technology (`gsm.network.type`: `LTE`, `NR_SA`, …), when known.
    pub radio: Option<String>,
}

/// The SIM slots of a handset from its `getprop` properties: the comma-joined values of
/// `gsm.sim.state`, `gsm.operator.alpha` and `gsm.network.type`, one entry per slot (empty
/// entries and `Unknown` are absent). A phone that prints none of them has no slots here.
pub fn sim_slots(props: &BTreeMap<String, String>) -> Vec<SimSlot> {
    let list = |key: &str| -> Vec<Option<String>> {
        props.get(key).map_or_else(Vec::new, |v| {
            v.split(',')
                .map(|s| {
                    let s = s.trim();
                    (!s.is_empty() && s != "Unknown").then(|| s.to_owned())
                })
                .collect()
        })
    };
    let (states, operators, radios) = (
        list("gsm.sim.state"),
        list("gsm.operator.alpha"),
        list("gsm.network.type"),
    );
    let count = states.len().max(operators.len()).max(radios.len());
    let at = |l: &[Option<String>], i: usize| l.get(i).cloned().flatten();
    (0..count)
        .map(|slot| SimSlot {
            slot,
            state: at(&states, slot),
            operator: at(&operators, slot),
            radio: at(&radios, slot),
        })
        .collect()
}

/// Text of a saved capture: UTF-16 (a Windows `adb shell … > file` redirection writes
/// UTF-16LE with a byte-order mark) or UTF-8 (a UTF-8 byte-order mark is dropped); bytes that
/// are not valid text become U+FFFD. Line ends are kept as they are.
pub fn decode_capture(bytes: &[u8]) -> String {
    let utf16 = |bytes: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_service_state_formats_read() {
        let new = service_state(
            "{mVoiceRegState=0(IN_SERVICE), mDataRegState=0(IN_SERVICE), mOperatorAlphaLong=Telekom SK, getRilVoiceRadioTechnology=20(NR), mIsEmergencyOnly=false}",
        );
        assert_eq!(new.voice, Registration::InService);
        assert_eq!(new.operator.as_deref(), Some("Telekom SK"));
        assert_eq!(new.radio.as_deref(), Some("NR"));
        let old = service_state(
            "0 0 voice home data home Orange SK Orange 23101 Orange SK Orange 23101  UMTS UMTS CSS not supported -1 -1",
        );
        assert_eq!(old.voice, Registration::InService);
        assert_eq!(old.radio.as_deref(), Some("UMTS"));
        let unknown = service_state("something else entirely");
        assert!(matches!(unknown.voice, Registration::Unknown(_)));
        assert_eq!(unknown.radio, None);
    }

    #[test]
    fn captures_decode_from_utf16_and_utf8() {
        let text = "[ro.product.model]: [Pixel 8]\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode_capture(&le), text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(text.as_bytes());
        assert_eq!(decode_capture(&bom), text);
    }
}
