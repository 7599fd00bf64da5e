//! The virtual mobile network: numbers, call routing, call states, call records, device
//! logs, and the media of connected calls.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::media::{Direction, MediaError};
use crate::mic::MicTimeline;
use crate::netprofile::{self, FaultSpec, NetworkProfile};
use crate::truth::{CallTruth, ClockDriftTruth, DelayTruth, DirectionTruth, FaultTruth};
use farend_report::redact_number;

/// How long a failed call (unknown number, busy callee) stays up before the caller drops.
pub const FAIL_DELAY: Duration = Duration::from_millis(1500);
/// 3GPP TS 24.008 cause: no subscriber has the dialled number.
const CAUSE_UNASSIGNED_NUMBER: u32 = 1;
/// 3GPP TS 24.008 cause: a party hung up.
const CAUSE_NORMAL_CLEARING: u32 = 16;
/// 3GPP TS 24.008 cause: the called party is in another call.
const CAUSE_USER_BUSY: u32 = 17;
/// 3GPP TS 24.008 cause: the called party cannot be reached (radio off, no coverage).
const CAUSE_SUBSCRIBER_ABSENT: u32 = 20;
/// 3GPP TS 24.008 cause: the called party was alerted but did not answer in time.
const CAUSE_NO_ANSWER: u32 = 19;
/// 3GPP TS 24.008 cause: the called party rejected the call.
const CAUSE_CALL_REJECTED: u32 = 21;
/// 3GPP TS 24.008 cause: the other party's handset is gone.
const CAUSE_DESTINATION_OUT_OF_ORDER: u32 = 27;
/// 3GPP TS 24.008 cause: no more specific cause.
const CAUSE_NORMAL_UNSPECIFIED: u32 = 31;
/// 3GPP TS 24.008 cause: the network failed for a while (a dropped call).
const CAUSE_TEMPORARY_FAILURE: u32 = 41;
/// How many finished calls' ground truth the network keeps.
const TRUTH_CAPACITY: usize = 256;
/// How many log lines each handset keeps.
const LOG_CAPACITY: usize = 2000;

/// Direction of a call as seen by one handset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDirection {
    /// Mobile originated.
    Outgoing,
    /// Mobile terminated.
    Incoming,
}

/// One call as the handset's telecom service records it.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// Telecom id number (`TC@n`).
    pub tc: u32,
    /// Creation time, ms since the Unix epoch.
    pub start_ms: u64,
    /// Time it became active, ms since the epoch (0 = never).
    pub connect_ms: u64,
    /// Disconnection time, ms since the epoch (0 = still up).
    pub end_ms: u64,
    /// Direction.
    pub direction: CallDirection,
    /// Telecom state name (DIALING, RINGING, ACTIVE, DISCONNECTED).
    pub state: &'static str,
    /// Remote party's number.
    pub remote: String,
    /// Disconnect cause code name (LOCAL, REMOTE, BUSY, ERROR, MISSED, REJECTED) once ended.
    pub cause: &'static str,
    /// Whether the call went over IMS (VoLTE, VoNR) rather than circuit-switched.
    pub ims: bool,
}

/// One log line (logcat threadtime fields).
#[derive(Debug, Clone)]
pub struct LogLine {
    /// Time, ms since the Unix epoch.
    pub ms: u64,
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Priority letter (V D I W E).
    pub level: char,
    /// Tag.
    pub tag: &'static str,
    /// Message.
    pub msg: String,
}

/// A handset's line on the network.
#[derive(Debug)]
pub struct Phone {
    /// Directory number.
    pub number: String,
    /// False once the handset was killed.
    pub alive: bool,
    /// Microphone timeline.
    pub mic: MicTimeline,
    /// Telecom call records, oldest first.
    pub records: Vec<CallRecord>,
    /// Log lines, oldest first.
    pub log: VecDeque<LogLine>,
    /// 3GPP TS 24.008 cause value of the last call's end (0 before any call ended).
    pub last_cause: u32,
    /// The network profile of calls this handset places (`None`: the network's default).
    pub profile: Option<NetworkProfile>,
    /// Whether the handset's SIM is registered (an `out_of_service` fault clears it).
    pub in_service: bool,
    /// Whether airplane mode is on (radios off).
    pub airplane: bool,
    /// Whether its ADB server has stopped answering (an `adb_unresponsive` fault, until
    /// the call ends).
    pub unresponsive: bool,
    /// The screen and lock of the handset.
    pub screen: Screen,
    /// Files the handset wrote that a host may read (`cat`, `adb pull`), by path: the
    /// newest bug report only, so a long run does not pile them up.
    pub files: BTreeMap<String, Vec<u8>>,
    next_tc: u32,
}

/// A handset's screen and keyguard, as `dumpsys power` and `dumpsys window` show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screen {
    /// The screen is off (`mWakefulness=Asleep`).
    pub asleep: bool,
    /// The keyguard (lock screen) is showing.
    pub keyguard: bool,
    /// A PIN is set (`locksettings set-pin`): the keyguard cannot be dismissed from the shell.
    pub pin: Option<String>,
}

impl Screen {
    /// The screen goes off, and the keyguard comes up, as it does on a phone.
    pub fn sleep(&mut self) {
        self.asleep = true;
        self.keyguard = true;
    }

    /// `wm dismiss-keyguard`: works unless a PIN is set. Returns whether it went.
    pub fn dismiss_keyguard(&mut self) -> bool {
        if self.pin.is_none() && !self.asleep {
            self.keyguard = false;
        }
        !self.keyguard
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Alerting,
    Active,
    /// The network will end the call at the instant, with a telecom cause name and a
    /// 3GPP TS 24.008 cause value.
    Failing(Instant, &'static str, u32),
    /// A slow setup: the callee starts ringing at the instant.
    Setup(Instant),
}

struct Call {
    caller: usize,
    callee: Option<usize>,
    phase: Phase,
    caller_rec: usize,
    callee_rec: Option<usize>,
    forward: Option<Direction>,
    backward: Option<Direction>,
    /// The profile the call runs on (the caller's).
    profile: NetworkProfile,
    /// When the call was dialled.
    dialled: Instant,
    /// When the callee started ringing.
    alerting_since: Option<Instant>,
    /// The callee of a slow setup, until it rings.
    pending_callee: Option<usize>,
    /// When the call was answered, ms since the epoch (0 = not yet).
    answered_ms: u64,
    /// Faults that have happened, with their time from the answer.
    faults: Vec<FaultTruth>,
    /// Whether the caller → callee and callee → caller ways carry another call's audio
    /// now (a `crossed` fault).
    crossed: (bool, bool),
}

/// Why `dial` did not reach the callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialResult {
    /// The callee is ringing.
    Ringing,
    /// No handset has this number; the call will fail shortly.
    Unknown,
    /// The callee is in another call (or the network says so); the call will fail shortly.
    Busy,
    /// The network rejected the setup; the call will fail shortly.
    Rejected,
    /// The caller already has a call up; nothing happened.
    AlreadyInCall,
}

/// The whole network.
pub struct Network {
    /// Phones, indexed like the handsets.
    pub phones: Vec<Phone>,
    calls: Vec<Call>,
    default_profile: NetworkProfile,
    rate: u32,
    /// Calls answered so far per profile name (seeds each call's loss and noise).
    answered: std::collections::HashMap<String, u64>,
    /// Ground truth of finished calls, oldest first.
    truths: VecDeque<CallTruth>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("phones", &self.phones.len())
            .field("calls", &self.calls.len())
            .field("profile", &self.default_profile.name)
            .finish()
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Network {
    /// Creates a network for these numbers whose calls run on `profile` unless a handset
    /// is given another; checks that the profile's media path can be built at `rate`.
    pub fn new(
        numbers: Vec<String>,
        profile: NetworkProfile,
        rate: u32,
    ) -> Result<Self, MediaError> {
        check_profile(&profile, rate)?;
        let phones = numbers
            .into_iter()
            .map(|number| Phone {
                number,
                alive: true,
                mic: MicTimeline::default(),
                records: Vec::new(),
                log: VecDeque::new(),
                next_tc: 1,
                last_cause: 0,
                profile: None,
                in_service: true,
                airplane: false,
                unresponsive: false,
                screen: Screen::default(),
                files: BTreeMap::new(),
            })
            .collect();
        Ok(Network {
            phones,
            calls: Vec::new(),
            default_profile: profile,
            rate,
            answered: Default::default(),
            truths: VecDeque::new(),
        })
    }

    /// The seed of the next call answered on `profile`: the profile's name and how many
    /// calls it carried before, so a run that places the same calls loses the same frames.
    fn seed(&mut self, profile: &str) -> u64 {
        let count = self.answered.entry(profile.to_owned()).or_default();
        *count += 1;
        // FNV-1a over the name, then the call's number on the profile.
        let name = profile.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        name ^ count.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// Sets the profile of calls handset `idx` places (`None`: the network's default),
    /// after checking that its media path can be built.
    pub fn set_profile(
        &mut self,
        idx: usize,
        profile: Option<NetworkProfile>,
    ) -> Result<(), MediaError> {
        if let Some(p) = &profile {
            check_profile(p, self.rate)?;
        }
        self.phones[idx].in_service = !profile
            .as_ref()
            .is_some_and(|p| p.faults.contains(&FaultSpec::OutOfService));
        self.phones[idx].profile = profile;
        Ok(())
    }

    /// Turns airplane mode on or off on handset `idx`: radios off end its call (the peer
    /// sees it drop) and it can neither place nor receive calls until it is off again.
    pub fn set_airplane(&mut self, idx: usize, on: bool) {
        self.phones[idx].airplane = on;
        self.log(
            idx,
            'I',
            "PhoneGlobals",
            format!("airplane mode {}", if on { "on" } else { "off" }),
        );
        if on && let Some(ci) = self.find_call(idx) {
            self.end_call(ci, idx, ("LOCAL", "REMOTE"), CAUSE_NORMAL_CLEARING);
        }
    }

    /// The profile handset `idx` is on: its own, else the network's default.
    pub fn profile_of(&self, idx: usize) -> &NetworkProfile {
        self.phones[idx]
            .profile
            .as_ref()
            .unwrap_or(&self.default_profile)
    }

    /// Whether handset `idx` can place and receive calls.
    pub fn has_service(&self, idx: usize) -> bool {
        self.phones[idx].in_service && !self.phones[idx].airplane
    }

    /// Takes the ground truth of the finished calls handset `idx` took part in.
    pub fn take_truths(&mut self, idx: usize) -> Vec<CallTruth> {
        let (mine, rest): (Vec<CallTruth>, Vec<CallTruth>) = self
            .truths
            .drain(..)
            .partition(|t| t.caller == idx || t.callee == Some(idx));
        self.truths = rest.into();
        mine
    }

    /// Appends a log line to a handset's log.
    pub fn log(&mut self, idx: usize, level: char, tag: &'static str, msg: String) {
        let (pid, tid) = match tag {
            "Telecom" | "TelephonyRegistry" => (1523, 1892),
            _ => (2789, 2789),
        };
        let log = &mut self.phones[idx].log;
        if log.len() >= LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(LogLine {
            ms: now_ms(),
            pid,
            tid,
            level,
            tag,
            msg,
        });
    }

    fn find_call(&self, idx: usize) -> Option<usize> {
        self.calls
            .iter()
            .position(|c| c.caller == idx || c.callee == Some(idx))
    }

    /// `mCallState` of a handset: 0 idle, 1 ringing, 2 offhook.
    pub fn call_state(&self, idx: usize) -> u8 {
        match self.find_call(idx).map(|i| &self.calls[i]) {
            None => 0,
            Some(c) if c.callee == Some(idx) && c.phase == Phase::Alerting => 1,
            Some(_) => 2,
        }
    }

    /// Precise call states `(ringing, foreground)` as Android's PreciseCallState numbers
    /// (0 idle, 1 active, 3 dialing, 4 alerting, 5 incoming).
    pub fn precise_states(&self, idx: usize) -> (u8, u8) {
        match self.find_call(idx).map(|i| &self.calls[i]) {
            None => (0, 0),
            Some(c) if c.callee == Some(idx) && c.phase == Phase::Alerting => (5, 0),
            Some(c) => match c.phase {
                Phase::Active => (0, 1),
                Phase::Alerting => (0, 4),
                Phase::Failing(..) | Phase::Setup(_) => (0, 3),
            },
        }
    }

    /// The remote number of an incoming call (empty when idle or calling out).
    pub fn incoming_number(&self, idx: usize) -> String {
        match self.find_call(idx).map(|i| &self.calls[i]) {
            Some(c) if c.callee == Some(idx) => self.phones[c.caller].number.clone(),
            _ => String::new(),
        }
    }

    fn new_record(
        &mut self,
        idx: usize,
        direction: CallDirection,
        remote: &str,
        ims: bool,
    ) -> usize {
        let p = &mut self.phones[idx];
        let tc = p.next_tc;
        p.next_tc += 1;
        p.records.push(CallRecord {
            tc,
            start_ms: now_ms(),
            connect_ms: 0,
            end_ms: 0,
            direction,
            state: if direction == CallDirection::Outgoing {
                "DIALING"
            } else {
                "RINGING"
            },
            remote: remote.to_string(),
            cause: "",
            ims,
        });
        p.records.len() - 1
    }

    fn state_log(&mut self, idx: usize) {
        let st = self.call_state(idx);
        let num = self.incoming_number(idx);
        self.log(
            idx,
            'D',
            "TelephonyRegistry",
            format!(
                "notifyCallStateForPhoneId: subId=1 state={st} incomingNumber={}",
                redact_number(&num)
            ),
        );
    }

    /// Places a call from handset `from` to `number`.
    pub fn dial(&mut self, from: usize, number: &str) -> DialResult {
        if self.find_call(from).is_some() {
            self.log(
                from,
                'W',
                "Telecom",
                "CallsManager: rejecting outgoing call, a call is already up".into(),
            );
            return DialResult::AlreadyInCall;
        }
        let ims = self.profile_of(from).volte;
        let rec = self.new_record(from, CallDirection::Outgoing, number, ims);
        let tc = self.phones[from].records[rec].tc;
        self.log(
            from,
            'I',
            "Telecom",
            format!(
                "CallsManager: startOutgoingCall: TC@{tc} tel:{}",
                redact_number(number)
            ),
        );
        let callee = self
            .phones
            .iter()
            .position(|p| p.alive && p.number == number);
        let profile = self.profile_of(from).clone();
        let now = Instant::now();
        let (mut phase, mut result) = self.routing(from, callee);
        let mut faults = Vec::new();
        let mut pending_callee = None;
        if !self.has_service(from) {
            (phase, result) = (
                Phase::Failing(now, "ERROR", CAUSE_NORMAL_UNSPECIFIED),
                DialResult::Rejected,
            );
        } else if result == DialResult::Ringing
            && let Some((fault, fault_phase, fault_result)) = setup_fault(&profile, now)
        {
            (phase, result) = (fault_phase, fault_result);
            if matches!(fault, FaultSpec::SlowSetup { .. }) {
                pending_callee = callee;
            }
            faults.push(FaultTruth {
                kind: fault.kind(),
                at_ms: ms(fault.at()),
            });
        }
        let held = pending_callee.is_some();
        let rings_now = result == DialResult::Ringing && !held;
        self.phones[from].records[rec].state = "DIALING";
        self.calls.push(Call {
            caller: from,
            callee: None,
            phase,
            caller_rec: rec,
            callee_rec: None,
            forward: None,
            backward: None,
            profile,
            dialled: now,
            alerting_since: rings_now.then_some(now),
            pending_callee,
            answered_ms: 0,
            faults,
            crossed: (false, false),
        });
        let ci = self.calls.len() - 1;
        if let (Some(c), true) = (callee, rings_now) {
            self.ring(ci, c);
        } else if !held {
            let why = match result {
                DialResult::Busy => "busy",
                DialResult::Rejected => "call rejected",
                _ if callee.is_some() => "subscriber absent",
                _ => "unassigned number",
            };
            self.log(
                from,
                'W',
                "GsmCdmaCallTracker",
                format!(
                    "dial: network reports {why} for tel:{}",
                    redact_number(number)
                ),
            );
        }
        self.state_log(from);
        if let Some(c) = callee.filter(|_| rings_now) {
            self.state_log(c);
        }
        result
    }

    /// How the network routes a dial from `from` to `callee` (the handset with the number
    /// dialled, if any), before any fault: ringing, busy, or failing with the cause.
    fn routing(&self, from: usize, callee: Option<usize>) -> (Phase, DialResult) {
        let fail_at = Instant::now() + FAIL_DELAY;
        match callee {
            None => (
                Phase::Failing(fail_at, "ERROR", CAUSE_UNASSIGNED_NUMBER),
                DialResult::Unknown,
            ),
            Some(c) if !self.has_service(c) => (
                Phase::Failing(fail_at, "ERROR", CAUSE_SUBSCRIBER_ABSENT),
                DialResult::Unknown,
            ),
            Some(c) if c == from || self.find_call(c).is_some() => (
                Phase::Failing(fail_at, "BUSY", CAUSE_USER_BUSY),
                DialResult::Busy,
            ),
            Some(_) => (Phase::Alerting, DialResult::Ringing),
        }
    }

    /// Makes handset `c` ring with call `ci`: its incoming call record and Telecom's log line.
    fn ring(&mut self, ci: usize, c: usize) {
        let from_number = self.phones[self.calls[ci].caller].number.clone();
        let ims = self.calls[ci].profile.volte;
        let crec = self.new_record(c, CallDirection::Incoming, &from_number, ims);
        let ctc = self.phones[c].records[crec].tc;
        let call = &mut self.calls[ci];
        call.callee = Some(c);
        call.callee_rec = Some(crec);
        self.log(
            c,
            'I',
            "Telecom",
            format!(
                "CallsManager: processIncomingCallIntent: TC@{ctc} from tel:{}",
                redact_number(&from_number)
            ),
        );
    }

    /// Answers a ringing call on handset `idx`; false when nothing rings.
    pub fn answer(&mut self, idx: usize) -> bool {
        let Some(ci) = self.find_call(idx) else {
            return false;
        };
        if self.calls[ci].callee != Some(idx) || self.calls[ci].phase != Phase::Alerting {
            return false;
        }
        let rate = self.rate;
        let name = self.calls[ci].profile.name.clone();
        let seed = self.seed(&name);
        let t = now_ms();
        let call = &mut self.calls[ci];
        call.phase = Phase::Active;
        call.answered_ms = t;
        call.forward = direction(&call.profile, rate, seed, 1.0);
        call.backward = direction(&call.profile, rate, seed.rotate_left(32) ^ 1, -1.0);
        let (caller, crec, callee_rec) = (call.caller, call.caller_rec, call.callee_rec);
        for (p, r) in [(caller, Some(crec)), (idx, callee_rec)] {
            if let Some(r) = r {
                let rec = &mut self.phones[p].records[r];
                rec.state = "ACTIVE";
                rec.connect_ms = t;
                let tc = rec.tc;
                self.log(p, 'I', "Telecom", format!("Call: setState: TC@{tc} ACTIVE"));
            }
            self.state_log(p);
        }
        true
    }

    /// Ends the call handset `idx` is in (hang-up or reject); false when idle.
    pub fn hang_up(&mut self, idx: usize) -> bool {
        let Some(ci) = self.find_call(idx) else {
            return false;
        };
        let ringing_callee =
            self.calls[ci].callee == Some(idx) && self.calls[ci].phase == Phase::Alerting;
        let (local, remote, cause) = if ringing_callee {
            ("REJECTED", "REMOTE", CAUSE_CALL_REJECTED)
        } else {
            ("LOCAL", "REMOTE", CAUSE_NORMAL_CLEARING)
        };
        self.end_call(ci, idx, (local, remote), cause);
        true
    }

    /// Ends a call: `initiator`'s record gets the first telecom cause name, the peer's the
    /// second; both handsets report the 3GPP cause value as their last disconnect cause.
    fn end_call(
        &mut self,
        ci: usize,
        initiator: usize,
        (local, remote): (&'static str, &'static str),
        network_cause: u32,
    ) {
        let call = self.calls.remove(ci);
        let t = now_ms();
        if let Some(truth) = truth_of(&call, self.rate) {
            if self.truths.len() >= TRUTH_CAPACITY {
                self.truths.pop_front();
            }
            self.truths.push_back(truth);
        }
        let parties = [
            (call.caller, Some(call.caller_rec)),
            (call.callee.unwrap_or(call.caller), call.callee_rec),
        ];
        for (p, r) in parties {
            // A handset hung during the call answers again once it is over.
            self.phones[p].unresponsive = false;
            if let Some(r) = r {
                let rec = &mut self.phones[p].records[r];
                rec.state = "DISCONNECTED";
                rec.end_ms = t;
                rec.cause = if p == initiator { local } else { remote };
                self.phones[p].last_cause = network_cause;
                let rec = &self.phones[p].records[r];
                let (tc, cause) = (rec.tc, rec.cause);
                self.log(
                    p,
                    'I',
                    "Telecom",
                    format!("Call: setState: TC@{tc} DISCONNECTED cause={cause}"),
                );
                self.state_log(p);
            }
        }
    }

    /// The handset vanished: its call ends for the peer.
    pub fn kill(&mut self, idx: usize) {
        self.phones[idx].alive = false;
        if let Some(ci) = self.find_call(idx) {
            self.end_call(ci, idx, ("ERROR", "REMOTE"), CAUSE_DESTINATION_OUT_OF_ORDER);
        }
        self.phones[idx].mic.clear();
    }

    /// Advances the network by `n` samples: consumes every mic and returns every earpiece.
    pub fn tick(&mut self, n: usize) -> Vec<Vec<i16>> {
        let now = Instant::now();
        while let Some(ci) = self
            .calls
            .iter()
            .position(|c| matches!(c.phase, Phase::Failing(t, ..) if t <= now))
        {
            let caller = self.calls[ci].caller;
            let (cause, network_cause) = match self.calls[ci].phase {
                Phase::Failing(_, cause, network_cause) => (cause, network_cause),
                _ => ("ERROR", CAUSE_NORMAL_UNSPECIFIED),
            };
            self.end_call(ci, caller, (cause, "REMOTE"), network_cause);
        }
        self.advance_setups(now);
        self.apply_faults();
        let mics: Vec<Vec<i16>> = self.phones.iter_mut().map(|p| p.mic.take(n)).collect();
        let mut ears = vec![vec![0i16; n]; self.phones.len()];
        for c in &mut self.calls {
            let (Some(b), Phase::Active) = (c.callee, c.phase) else {
                continue;
            };
            if let Some(f) = c.forward.as_mut() {
                ears[b] = f.process(&mics[c.caller]);
            }
            if let Some(bw) = c.backward.as_mut() {
                ears[c.caller] = bw.process(&mics[b]);
            }
        }
        self.cross(ears)
    }

    /// Gives the listeners of crossed ways what the same way of another active call
    /// carries (the first other one, in the order the calls were placed), or silence when
    /// there is none.
    fn cross(&self, heard: Vec<Vec<i16>>) -> Vec<Vec<i16>> {
        if !self.calls.iter().any(|c| c.crossed != (false, false)) {
            return heard;
        }
        let active: Vec<(usize, usize)> = self
            .calls
            .iter()
            .filter(|c| c.phase == Phase::Active)
            .filter_map(|c| Some((c.caller, c.callee?)))
            .collect();
        let mut ears = heard.clone();
        for c in &self.calls {
            let (Some(callee), Phase::Active) = (c.callee, c.phase) else {
                continue;
            };
            let other = active
                .iter()
                .find(|&&(caller, _)| caller != c.caller)
                .copied();
            let silence = || vec![0; heard[callee].len()];
            if c.crossed.0 {
                ears[callee] = other.map_or_else(silence, |(_, b)| heard[b].clone());
            }
            if c.crossed.1 {
                ears[c.caller] = other.map_or_else(silence, |(a, _)| heard[a].clone());
            }
        }
        ears
    }
}

impl Network {
    /// Rings the callees of slow setups whose time has come, and ends calls that rang
    /// longer than a no-answer fault allows.
    fn advance_setups(&mut self, now: Instant) {
        while let Some(ci) = self
            .calls
            .iter()
            .position(|c| matches!(c.phase, Phase::Setup(t) if t <= now))
        {
            let call = &mut self.calls[ci];
            let Some(c) = call.pending_callee.take() else {
                call.phase = Phase::Failing(now, "ERROR", CAUSE_NORMAL_UNSPECIFIED);
                continue;
            };
            if self.find_call(c).is_some() || !self.phones[c].alive {
                let call = &mut self.calls[ci];
                call.phase = Phase::Failing(now, "BUSY", CAUSE_USER_BUSY);
                continue;
            }
            self.ring(ci, c);
            let call = &mut self.calls[ci];
            call.phase = Phase::Alerting;
            call.alerting_since = Some(now);
            let caller = call.caller;
            self.state_log(c);
            self.state_log(caller);
        }
        let unanswered: Vec<usize> = self
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.phase == Phase::Alerting
                    && c.profile.faults.iter().any(|f| {
                        matches!(*f, FaultSpec::NoAnswer { after }
                            if c.alerting_since.is_some_and(|t| now.duration_since(t) >= after))
                    })
            })
            .map(|(ci, _)| ci)
            .collect();
        for ci in unanswered.into_iter().rev() {
            let call = &mut self.calls[ci];
            let waited = now.duration_since(call.dialled);
            if let Some(fault) = call
                .profile
                .faults
                .iter()
                .find(|f| matches!(f, FaultSpec::NoAnswer { .. }))
            {
                call.faults.push(FaultTruth {
                    kind: fault.kind(),
                    at_ms: ms(waited),
                });
            }
            let caller = call.caller;
            self.end_call(ci, caller, ("ERROR", "MISSED"), CAUSE_NO_ANSWER);
        }
    }

    /// Applies the faults of every active call at its media time: silences the ways a
    /// one-way or mute fault hits, crosses the ways a crossed fault hits, and drops calls
    /// whose drop time has come.
    fn apply_faults(&mut self) {
        let mut dropped = Vec::new();
        let mut hung = Vec::new();
        for (ci, call) in self.calls.iter_mut().enumerate() {
            let Some(forward) = call.forward.as_mut() else {
                continue;
            };
            let elapsed = Duration::from_millis(forward.frames_sent() * 20);
            for fault in call.profile.faults.iter().filter(|f| !f.is_setup()) {
                let started = elapsed >= fault.at();
                if started
                    && !call
                        .faults
                        .iter()
                        .any(|f| f.kind == fault.kind() && f.at_ms == ms(fault.at()))
                {
                    call.faults.push(FaultTruth {
                        kind: fault.kind(),
                        at_ms: ms(fault.at()),
                    });
                }
                if matches!(fault, FaultSpec::Drop { .. }) && started {
                    dropped.push(ci);
                }
                if matches!(fault, FaultSpec::AdbUnresponsive { .. }) && started {
                    hung.extend(call.callee);
                }
            }
            let silenced = |uplink: bool| {
                call.profile
                    .faults
                    .iter()
                    .any(|f| netprofile::silences(f, uplink, elapsed))
            };
            let (up, down) = (silenced(true), silenced(false));
            let crossed = |uplink: bool| {
                call.profile
                    .faults
                    .iter()
                    .any(|f| netprofile::crosses(f, uplink, elapsed))
            };
            call.crossed = (crossed(true), crossed(false));
            forward.set_silenced(up);
            if let Some(backward) = call.backward.as_mut() {
                backward.set_silenced(down);
            }
        }
        for idx in hung {
            if !self.phones[idx].unresponsive {
                self.phones[idx].unresponsive = true;
                self.log(
                    idx,
                    'E',
                    "ActivityManager",
                    "ANR in com.android.phone".into(),
                );
            }
        }
        dropped.dedup();
        for ci in dropped.into_iter().rev() {
            let caller = self.calls[ci].caller;
            self.log(
                caller,
                'W',
                "GsmCdmaCallTracker",
                "call dropped by the network: radio link failure".into(),
            );
            self.end_call(ci, caller, ("ERROR", "ERROR"), CAUSE_TEMPORARY_FAILURE);
        }
    }
}

/// Whole milliseconds of a duration.
fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// Checks that `profile`'s media path can be built at `rate`.
/// The profile's first fault of call setup that answers a dial (busy, reject, slow setup),
/// with the phase and result it gives.
fn setup_fault(profile: &NetworkProfile, now: Instant) -> Option<(&FaultSpec, Phase, DialResult)> {
    profile.faults.iter().find_map(|fault| {
        let (phase, result) = match *fault {
            FaultSpec::Busy => (
                Phase::Failing(now + FAIL_DELAY, "BUSY", CAUSE_USER_BUSY),
                DialResult::Busy,
            ),
            FaultSpec::Reject { cause } => (
                Phase::Failing(now + FAIL_DELAY, "ERROR", cause),
                DialResult::Rejected,
            ),
            FaultSpec::SlowSetup { after } => (Phase::Setup(now + after), DialResult::Ringing),
            _ => return None,
        };
        Some((fault, phase, result))
    })
}

fn check_profile(profile: &NetworkProfile, rate: u32) -> Result<(), MediaError> {
    Direction::new(&profile.codec, rate, transport_samples(profile, rate)).map(|_| ())
}

/// The profile's transport delay in samples at `rate`.
fn transport_samples(profile: &NetworkProfile, rate: u32) -> usize {
    (profile.delay.as_secs_f64() * f64::from(rate)).round() as usize
}

/// One way of a call on `profile`, its loss and noise seeded with `seed`; `drift_sign` is
/// +1 towards the callee (whose card is the slow one) and -1 back.
fn direction(profile: &NetworkProfile, rate: u32, seed: u64, drift_sign: f64) -> Option<Direction> {
    let path = Direction::new(&profile.codec, rate, transport_samples(profile, rate)).ok()?;
    let path = path
        .with_loss(profile.loss, seed)
        .with_jitter(profile.jitter_ms, seed.rotate_left(17))
        .with_gain_db(profile.gain_db)
        .with_clock_ppm(drift_sign * profile.clock_ppm, rate);
    Some(match profile.noise_dbfs {
        Some(dbfs) => path.with_noise(dbfs, seed ^ 0x5eed),
        None => path,
    })
}

/// The ground truth of a call: its setup faults, and its two ways once answered.
fn truth_of(call: &Call, rate: u32) -> Option<CallTruth> {
    let setup_faults: Vec<FaultTruth> = call
        .faults
        .iter()
        .filter(|f| {
            call.profile
                .faults
                .iter()
                .any(|p| p.is_setup() && p.kind() == f.kind)
        })
        .cloned()
        .collect();
    let answered = call
        .callee
        .zip(call.forward.as_ref().zip(call.backward.as_ref()));
    let Some((callee, (forward, backward))) = answered else {
        return (!setup_faults.is_empty()).then(|| CallTruth {
            profile: call.profile.name.clone(),
            caller: call.caller,
            callee: call.callee,
            answered_unix_ms: 0,
            setup_faults,
            directions: Vec::new(),
        });
    };
    let way = |path: &Direction, from: usize, to: usize, uplink: bool| DirectionTruth {
        from,
        to,
        codec: call.profile.codec,
        frames_sent: path.frames_sent(),
        frames_lost: path.lost_frames().to_vec(),
        frames_late: path.late_frames().to_vec(),
        delay: DelayTruth::of(&path.delay_history(), path.frames_sent(), rate)
            .with_drift(path.drift_truth().as_ref(), rate),
        drift: path.drift_truth().map(|d| ClockDriftTruth {
            ppm: d.ppm,
            start_ms: d.start_samples * 1000.0 / f64::from(rate),
            end_ms: d.end_samples * 1000.0 / f64::from(rate),
            slips_ms: d
                .slips
                .iter()
                .map(|&s| s * 1000 / u64::from(rate))
                .collect(),
        }),
        faults: call
            .faults
            .iter()
            .filter(|f| {
                call.profile
                    .faults
                    .iter()
                    .any(|p| !p.is_setup() && p.kind() == f.kind && p.hits(uplink))
            })
            .cloned()
            .collect(),
    };
    Some(CallTruth {
        profile: call.profile.name.clone(),
        caller: call.caller,
        callee: Some(callee),
        answered_unix_ms: call.answered_ms,
        setup_faults,
        directions: vec![
            way(forward, call.caller, callee, true),
            way(backward, callee, call.caller, false),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netprofile::FaultSpec;

    fn net() -> Network {
        let nums = ["+1", "+2", "+3"].iter().map(|s| s.to_string()).collect();
        Network::new(
            nums,
            NetworkProfile::clean("test", farend_codec::CodecSpec::G711ALaw),
            16000,
        )
        .unwrap()
    }

    #[test]
    fn call_flow_states() {
        let mut n = net();
        assert_eq!(n.dial(0, "+2"), DialResult::Ringing);
        assert_eq!(
            (n.call_state(0), n.call_state(1), n.call_state(2)),
            (2, 1, 0)
        );
        assert_eq!(n.incoming_number(1), "+1");
        assert!(!n.answer(0), "caller cannot answer");
        assert_eq!(n.dial(2, "+2"), DialResult::Busy);
        assert!(n.answer(1));
        assert_eq!((n.call_state(0), n.call_state(1)), (2, 2));
        assert!(n.hang_up(1));
        assert_eq!((n.call_state(0), n.call_state(1)), (0, 0));
        assert_eq!(n.phones[0].records[0].cause, "REMOTE");
        assert_eq!(n.phones[1].records[0].cause, "LOCAL");
        assert_eq!(n.phones[0].last_cause, CAUSE_NORMAL_CLEARING);
        assert!(!n.hang_up(1));
    }

    #[test]
    fn unknown_number_fails_after_a_while() {
        let mut n = net();
        assert_eq!(n.dial(0, "+99"), DialResult::Unknown);
        assert_eq!(n.call_state(0), 2);
        // The caller keeps dialing: the far end never alerts.
        assert_eq!(n.precise_states(0), (0, 3));
        n.tick(320);
        assert_eq!(n.call_state(0), 2);
        std::thread::sleep(FAIL_DELAY + Duration::from_millis(50));
        n.tick(320);
        assert_eq!(n.call_state(0), 0);
        assert_eq!(n.phones[0].last_cause, CAUSE_UNASSIGNED_NUMBER);
    }

    #[test]
    fn kill_drops_the_peer() {
        let mut n = net();
        n.dial(0, "+2");
        n.answer(1);
        n.kill(0);
        assert_eq!(n.call_state(1), 0);
        assert_eq!(n.dial(1, "+1"), DialResult::Unknown);
    }

    fn with(fault: FaultSpec) -> Option<NetworkProfile> {
        Some(NetworkProfile {
            faults: vec![fault],
            ..NetworkProfile::clean("faulty", farend_codec::CodecSpec::G711ALaw)
        })
    }

    #[test]
    fn a_rejected_setup_fails_with_its_cause_and_the_next_call_works() {
        let mut n = net();
        n.set_profile(0, with(FaultSpec::Reject { cause: 34 }))
            .unwrap();
        assert_eq!(n.dial(0, "+2"), DialResult::Rejected);
        assert_eq!(n.call_state(1), 0, "the callee never rings");
        std::thread::sleep(FAIL_DELAY + Duration::from_millis(50));
        n.tick(320);
        assert_eq!(n.call_state(0), 0);
        assert_eq!(n.phones[0].last_cause, 34);
        let truth = n.take_truths(0);
        assert_eq!(truth.len(), 1);
        assert_eq!(truth[0].setup_faults[0].kind, "reject");
        n.set_profile(0, None).unwrap();
        assert_eq!(n.dial(0, "+2"), DialResult::Ringing);
        assert!(n.answer(1));
        n.tick(320);
        assert!(n.hang_up(0));
    }

    #[test]
    fn a_crossed_way_carries_the_other_calls_audio_and_nothing_without_one() {
        let nums = ["+1", "+2", "+3", "+4"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let clean = NetworkProfile::clean("test", farend_codec::CodecSpec::G711ALaw);
        let mut n = Network::new(nums, clean, 16000).unwrap();
        let crossed = FaultSpec::Crossed {
            after: Duration::ZERO,
            way: crate::netprofile::FaultWay::Uplink,
        };
        n.set_profile(0, with(crossed)).unwrap();
        n.dial(0, "+2");
        n.answer(1);
        n.dial(2, "+4");
        n.answer(3);
        let tone = |f: f64| -> Vec<i16> {
            (0..16000)
                .map(|i| (8000.0 * (f * i as f64 / 16000.0 * std::f64::consts::TAU).sin()) as i16)
                .collect()
        };
        n.phones[0].mic.schedule(0, &tone(500.0), 16000);
        n.phones[2].mic.schedule(0, &tone(1300.0), 16000);
        let mut heard = vec![Vec::new(); 4];
        for _ in 0..50 {
            for (h, ear) in heard.iter_mut().zip(n.tick(320)) {
                h.extend(ear);
            }
        }
        let loud = |x: &[i16]| x.iter().any(|&v| v.abs() > 1000);
        assert!(loud(&heard[3]), "the other call carries its caller");
        assert_eq!(
            heard[1], heard[3],
            "the crossed callee hears the other call"
        );
        // The way back is not crossed: the caller hears its silent callee.
        assert!(!loud(&heard[0]));
        let truth_kinds = |n: &mut Network| -> Vec<String> {
            n.hang_up(0);
            n.take_truths(0)[0].directions[0]
                .faults
                .iter()
                .map(|f| f.kind.to_string())
                .collect()
        };
        // With the other call gone, the crossed way carries nothing.
        n.hang_up(2);
        let now = n.phones[0].mic.now();
        n.phones[0].mic.schedule(now, &tone(500.0), 16000);
        let alone: Vec<i16> = (0..25).flat_map(|_| n.tick(320).swap_remove(1)).collect();
        assert!(!loud(&alone));
        assert_eq!(truth_kinds(&mut n), ["crossed"]);
    }
}
