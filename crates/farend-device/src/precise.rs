//! The precise call state: what a caller's side of a call is doing (dialing, alerting,
//! active), which `mCallState` cannot tell (a caller is "offhook" from the moment it dials),
//! and the network's disconnect cause of the last call.
//!
//! Android's `dumpsys telephony.registry` prints it on releases that keep it
//! (`mPreciseCallState=Ringing call state: 0, Foreground call state: 4, ...` and
//! `mCallPreciseDisconnectCause=N`); the state numbers are Android's `PreciseCallState`
//! constants and the causes 3GPP TS 24.008 cause values.

use std::fmt;

/// What the foreground call of a handset is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallPhase {
    /// No call (0).
    Idle,
    /// The call is up (1).
    Active,
    /// The call is on hold (2).
    Holding,
    /// The handset dialled; the network has not reported the far end alerting yet (3).
    Dialing,
    /// The far end is ringing (4).
    Alerting,
    /// A call is coming in (5).
    Incoming,
    /// A second call is waiting (6).
    Waiting,
    /// The call ended (7).
    Disconnected,
    /// The call is ending (8).
    Disconnecting,
}

impl CallPhase {
    /// The phase for an Android `PreciseCallState` number.
    pub fn from_android(value: u32) -> Option<CallPhase> {
        Some(match value {
            0 => CallPhase::Idle,
            1 => CallPhase::Active,
            2 => CallPhase::Holding,
            3 => CallPhase::Dialing,
            4 => CallPhase::Alerting,
            5 => CallPhase::Incoming,
            6 => CallPhase::Waiting,
            7 => CallPhase::Disconnected,
            8 => CallPhase::Disconnecting,
            _ => return None,
        })
    }

    /// The lowercase name (`dialing`, `alerting`, `active`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CallPhase::Idle => "idle",
            CallPhase::Active => "active",
            CallPhase::Holding => "holding",
            CallPhase::Dialing => "dialing",
            CallPhase::Alerting => "alerting",
            CallPhase::Incoming => "incoming",
            CallPhase::Waiting => "waiting",
            CallPhase::Disconnected => "disconnected",
            CallPhase::Disconnecting => "disconnecting",
        }
    }

    /// Whether the call has been set up at some point: active or on hold.
    pub fn is_established(self) -> bool {
        matches!(self, CallPhase::Active | CallPhase::Holding)
    }

    /// Whether a call exists and has not ended.
    pub fn is_up(self) -> bool {
        !matches!(
            self,
            CallPhase::Idle | CallPhase::Disconnected | CallPhase::Disconnecting
        )
    }
}

impl fmt::Display for CallPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The precise call state of one handset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreciseCallState {
    /// The incoming (ringing) call's phase.
    pub ringing: CallPhase,
    /// The foreground call's phase: the caller's dialing, alerting, active.
    pub foreground: CallPhase,
    /// The network's disconnect cause of the last call (3GPP TS 24.008), when reported.
    pub disconnect_cause: Option<DisconnectCause>,
}

/// A network disconnect cause: a 3GPP TS 24.008 cause value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisconnectCause(pub u32);

impl DisconnectCause {
    /// The cause's name after 3GPP TS 24.008 Table 10.5.123, for the common ones.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "unassigned number",
            3 => "no route to destination",
            16 => "normal call clearing",
            17 => "user busy",
            18 => "no user responding",
            19 => "user alerting, no answer",
            21 => "call rejected",
            22 => "number changed",
            27 => "destination out of order",
            28 => "invalid number format",
            31 => "normal, unspecified",
            34 => "no circuit/channel available",
            38 => "network out of order",
            41 => "temporary failure",
            42 => "switching equipment congestion",
            47 => "resources unavailable, unspecified",
            _ => return None,
        })
    }
}

impl fmt::Display for DisconnectCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "cause {} ({name})", self.0),
            None => write!(f, "cause {}", self.0),
        }
    }
}

/// Parses the precise call state of `dumpsys telephony.registry`: the most active foreground
/// call over the SIM slots, with its slot's disconnect cause. `None` when the release does
/// not print `mPreciseCallState`.
pub fn parse_precise_call_state(text: &str) -> Option<PreciseCallState> {
    let mut best: Option<PreciseCallState> = None;
    let mut block: Option<PreciseCallState> = None;
    let finish = |block: Option<PreciseCallState>, best: &mut Option<PreciseCallState>| {
        if let Some(b) = block
            && best.is_none_or(|old| rank(b) > rank(old))
        {
            *best = Some(b);
        }
    };
    for line in text.lines() {
        let line = line.trim();
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("local logs") || lower.starts_with("listen logs") {
            break;
        }
        if line.starts_with("Phone Id=") {
            finish(block.take(), &mut best);
        }
        if let Some(rest) = line.strip_prefix("mPreciseCallState=") {
            let field = |name: &str| {
                let start = rest.find(name)? + name.len();
                let digits: String = rest[start..]
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '-')
                    .collect();
                digits.parse::<i64>().ok()
            };
            let phase =
                |name| field(name).and_then(|v| CallPhase::from_android(u32::try_from(v).ok()?));
            let (Some(ringing), Some(foreground)) = (
                phase("Ringing call state:"),
                phase("Foreground call state:"),
            ) else {
                continue;
            };
            let cause = field("Precise disconnect cause:");
            block = Some(PreciseCallState {
                ringing,
                foreground,
                disconnect_cause: positive_cause(cause),
            });
        } else if let Some(value) = line.strip_prefix("mCallPreciseDisconnectCause=")
            && let Some(b) = block.as_mut()
            && b.disconnect_cause.is_none()
        {
            b.disconnect_cause = positive_cause(value.trim().parse().ok());
        }
    }
    finish(block, &mut best);
    best
}

/// A cause value when it names one (Android prints -1 or 0 for none).
fn positive_cause(value: Option<i64>) -> Option<DisconnectCause> {
    value
        .filter(|v| *v > 0)
        .and_then(|v| u32::try_from(v).ok())
        .map(DisconnectCause)
}

/// How much is going on in a slot: a call up beats a ringing one beats none.
fn rank(state: PreciseCallState) -> u8 {
    if state.foreground.is_up() {
        2
    } else if state.ringing.is_up() {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busy_slot_wins_and_carries_its_cause() {
        let text = "  Phone Id=0\n    mPreciseCallState=Ringing call state: 0, Foreground call state: 0, \
                    Background call state: 0, Disconnect cause: 1, Precise disconnect cause: 1\n\
                    \x20 Phone Id=1\n    mPreciseCallState=Ringing call state: 0, Foreground call state: 4, \
                    Background call state: 0, Disconnect cause: -1, Precise disconnect cause: -1\n\
                    local logs:\n    mPreciseCallState=Ringing call state: 0, Foreground call state: 1\n";
        let state = parse_precise_call_state(text).expect("state");
        assert_eq!(state.foreground, CallPhase::Alerting);
        assert_eq!(state.disconnect_cause, None);
        let idle = parse_precise_call_state(&text[..text.find("  Phone Id=1").unwrap()]).unwrap();
        assert_eq!(idle.disconnect_cause, Some(DisconnectCause(1)));
        assert_eq!(
            idle.disconnect_cause.unwrap().to_string(),
            "cause 1 (unassigned number)"
        );
        assert_eq!(parse_precise_call_state("mCallState=0\n"), None);
    }
}
