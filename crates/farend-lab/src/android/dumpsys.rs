//! `dumpsys telephony.registry`, `dumpsys telecom` and `logcat`, as Android 13/14 print them
//! (the service state's registrations and the data connections after the Android 16 capture).

use super::{AndroidHost, lock};
use crate::netprofile::RadioAccess;
use crate::network::CallDirection;
use crate::shell::Output;
use farend_report::redact_number;

impl AndroidHost<'_> {
    pub(super) fn dumpsys(&self, args: &[&str], out: &mut Output) -> u8 {
        match args.first() {
            Some(&"telephony.registry") => self.registry(out),
            Some(&"telecom") => self.telecom(out),
            // Written by hand after Android 10–14's layouts (no capture in the corpus):
            // `mWakefulness` in `dumpsys power`, the KeyguardController in `dumpsys window`.
            Some(&"power") => {
                let screen = lock(self.net).phones[self.handset.idx].screen.clone();
                let wakefulness = if screen.asleep { "Asleep" } else { "Awake" };
                out.out(&format!(
                    "POWER MANAGER (dumpsys power)\n\nPower Manager State:\n  mDirty=0x0\n  mWakefulness={wakefulness}\n  mWakefulnessChanging=false\n  mIsPowered=true\n"
                ));
            }
            Some(&"window") => {
                let screen = lock(self.net).phones[self.handset.idx].screen.clone();
                out.out(&format!(
                    "WINDOW MANAGER POLICY STATE (dumpsys window policy)\n    mSystemBooted=true\nKeyguardController:\n  mKeyguardShowing={}\n  mAodShowing=false\n  mKeyguardGoingAway=false\n",
                    screen.keyguard
                ));
            }
            // Written by hand after the layout of releases that still print identities in
            // full (Android 9 and earlier); newer ones mask them. The point is that bug
            // reports carry IMEI, IMSI, ICCID and numbers, which reports must redact.
            Some(&"iphonesubinfo") => out.out(&format!(
                "Phone Subscriber Info:\n  Phone Type = GSM\n  Device ID = {}\n",
                self.handset.imei()
            )),
            Some(&"isub") => out.out(&format!(
                "SubscriptionController:\n mActiveSubInfoList:\n  {{id=1 iccId={} simSlotIndex=0 displayName={} number={} mcc=231 mnc=01 imsi={}}}\n",
                self.handset.iccid(),
                self.handset.profile.operator,
                self.handset.number,
                self.handset.imsi()
            )),
            Some(&"-l") | None => out.out("Currently running services:\n  activity\n  iphonesubinfo\n  isub\n  phone\n  power\n  telecom\n  telephony.registry\n  window\n"),
            Some(other) => out.err(&format!("Can't find service: {other}\n")),
        }
        0
    }

    fn registry(&self, out: &mut Output) {
        let idx = self.handset.idx;
        let net = lock(self.net);
        let p = self.handset.profile;
        out.out("last known state:\n");
        for phone in 0..p.sim_slots {
            let (state, incoming, (ring, fg), cause) = if phone == 0 {
                (
                    net.call_state(idx),
                    net.incoming_number(idx),
                    net.precise_states(idx),
                    net.phones[idx].last_cause,
                )
            } else {
                (0, String::new(), (0, 0), 0)
            };
            // Android prints -1 until a call has ended.
            let cause: i64 = if cause == 0 { -1 } else { i64::from(cause) };
            let (ring_s, fg_s) = (ring, fg);
            out.out(&format!("  Phone Id={phone}\n"));
            out.out(&format!("    mCallState={state}\n"));
            out.out(&format!("    mRingingCallState={ring_s}\n"));
            out.out(&format!("    mForegroundCallState={fg_s}\n"));
            out.out("    mBackgroundCallState=0\n");
            out.out(&format!(
                "    mPreciseCallState=Ringing call state: {ring_s}, Foreground call state: {fg_s}, Background call state: 0, Disconnect cause: {cause}, Precise disconnect cause: {cause}\n"
            ));
            out.out(&format!("    mCallDisconnectCause={cause}\n"));
            out.out(&format!("    mCallIncomingNumber={incoming}\n"));
            let serving = phone == 0 && net.phones[idx].in_service && !net.phones[idx].airplane;
            let (svc, op) = if net.phones[idx].airplane {
                ("3(POWER_OFF)", "")
            } else if serving {
                ("0(IN_SERVICE)", p.operator)
            } else {
                ("1(OUT_OF_SERVICE)", "")
            };
            let profile = net.profile_of(idx);
            let (radio, volte) = (profile.radio, profile.volte);
            let rat = if serving {
                format!("{}({})", radio_technology(radio), radio.name())
            } else {
                "0(Unknown)".to_owned()
            };
            let registrations = if serving {
                registration_infos(radio, volte, p.operator)
            } else {
                String::new()
            };
            out.out(&format!(
                "    mServiceState={{mVoiceRegState={svc}, mDataRegState={svc}, mOperatorAlphaLong={op}, mOperatorAlphaShort={op}, isManualNetworkSelection=false(automatic), getRilVoiceRadioTechnology={rat}, getRilDataRadioTechnology={rat}, mIsEmergencyOnly=false{registrations}}}\n"
            ));
            out.out(&format!(
                "    mPreciseDataConnectionStates={{{}}}\n",
                if serving {
                    data_connections(radio, volte)
                } else {
                    String::new()
                }
            ));
            out.out("    mVoiceActivationState=0\n    mDataActivationState=0\n    mUserMobileDataState=true\n");
            out.out("    mSignalStrength=SignalStrength:{mLte=CellSignalStrengthLte: rssi=-67 rsrp=-97 rsrq=-10 rssnr=13 cqi=2147483647 ta=2147483647 level=3 parametersUseForLevel=0,primary=CellSignalStrengthLte}\n");
            out.out("    mMessageWaiting=false\n    mCallForwarding=false\n    mDataActivity=0\n");
            out.out(&format!(
                "    mDataConnectionState={}\n",
                if phone == 0 { 2 } else { 0 }
            ));
            out.out(&format!(
                "    mSrvccState=-1\n    mCallPreciseDisconnectCause={cause}\n    mCallNetworkType={}\n",
                network_type(radio)
            ));
            out.out(
                "    mOutgoingCallEmergencyNumber=null\n    mOutgoingSmsEmergencyNumber=null\n",
            );
        }
        out.out("  mCarrierNetworkChangeState=false\n  mActiveDataSubId=1\n  mRadioPowerState=1\n");
        out.out("  mDefaultPhoneId=0\n  mDefaultSubId=1\n");
        out.out("local logs:\n");
        for l in net.phones[idx]
            .log
            .iter()
            .filter(|l| l.tag == "TelephonyRegistry")
        {
            out.out(&format!("{} {}\n", fmt_time(l.ms, true), l.msg));
        }
    }

    fn telecom(&self, out: &mut Output) {
        let idx = self.handset.idx;
        let net = lock(self.net);
        out.out("CallsManager:\n  mCalls:\n");
        for r in net.phones[idx].records.iter().filter(|r| r.end_ms == 0) {
            out.out(&format!(
                "    [TC@{}, {}, com.android.phone/com.android.services.telephony.TelephonyConnectionService, tel:{}, A, childs(0), has_parent(false), [Capabilities: CAPABILITY_HOLD CAPABILITY_SUPPORT_HOLD CAPABILITY_MUTE], [Properties:]]\n",
                r.tc, r.state, redact_number(&r.remote)
            ));
        }
        out.out("  mPendingHandover: null\n\n");
        out.out("Analytics:\n  Historical Calls:\n");
        for r in &net.phones[idx].records {
            let dir = match r.direction {
                CallDirection::Outgoing => "OUTGOING",
                CallDirection::Incoming => "INCOMING",
            };
            out.out(&format!("    Call TC@{}: {{\n", r.tc));
            out.out(&format!("        startTime: {}\n", r.start_ms));
            out.out(&format!("        endTime: {}\n", r.end_ms));
            out.out(&format!("        direction: {dir}\n"));
            out.out(&format!("        state: {}\n", r.state));
            out.out("        isAddedViaApi: false\n        isInterrupted: false\n");
            // As Android 15/16 print it (`[IMS ]`, the space included).
            out.out(if r.ims {
                "        callTechnologies: [IMS ]\n"
            } else {
                "        callTechnologies: [GSM ]\n"
            });
            if r.cause.is_empty() {
                out.out("        callTerminationReason: null\n");
            } else {
                out.out(&format!(
                    "        callTerminationReason: DisconnectCause [ Code: ({}) Label: () Description: () Reason: ({}) Tone: (-1) ]\n",
                    r.cause, r.cause
                ));
            }
            out.out("        inCallServices: [com.android.dialer.incall.InCallServiceImpl]\n");
            out.out("        callProperties: 0\n    }\n");
        }
    }

    pub(super) fn logcat(&self, args: &[&str], out: &mut Output) -> u8 {
        let idx = self.handset.idx;
        let mut net = lock(self.net);
        if args.contains(&"-c") {
            net.phones[idx].log.clear();
            return 0;
        }
        let mut tail = None;
        let mut since_ms = 0;
        for w in args.windows(2) {
            match w[0] {
                "-t" => tail = w[1].parse::<usize>().ok(),
                "-T" => match epoch_ms(w[1]) {
                    Some(ms) => since_ms = ms,
                    None => {
                        out.err(&format!("logcat: unsupported -T time '{}'\n", w[1]));
                        return 1;
                    }
                },
                _ => {}
            }
        }
        let log = &net.phones[idx].log;
        let skip = tail.map_or(0, |t| log.len().saturating_sub(t));
        out.out("--------- beginning of main\n");
        for l in log.iter().skip(skip).filter(|l| l.ms >= since_ms) {
            out.out(&format!(
                "{} {:5} {:5} {} {:<8}: {}\n",
                fmt_time(l.ms, false),
                l.pid,
                l.tid,
                l.level,
                l.tag,
                l.msg
            ));
        }
        0
    }
}

/// Parses logcat's `-T` time in its `SECONDS.MILLIS` (since the epoch) form.
/// `, mNetworkRegistrationInfos=[…]` of a SIM in service: the CS and PS registrations on
/// `radio`, after the Android 16 capture (Pixel 8, `36_google_pixel8-shiba_telephony-registry_…`
/// in the device corpus). The PS one carries `LteVopsSupportInfo` on LTE: voice over PS
/// supported (2) when the network carries voice over IMS, not supported (3) when not; GSM and
/// UMTS print "not available" (1), NR nothing (no capture shows NR's form).
fn registration_infos(radio: RadioAccess, volte: bool, operator: &str) -> String {
    let rat = radio.name();
    let vops = match radio {
        RadioAccess::Lte => Some(if volte { 2 } else { 3 }),
        RadioAccess::Gsm | RadioAccess::Umts => Some(1),
        RadioAccess::Nr => None,
    };
    let data_specific = match vops {
        Some(v) => format!(
            "android.telephony.DataSpecificRegistrationInfo :{{ maxDataCalls = 16 isDcNrRestricted = false isNrAvailable = false isEnDcAvailable = false mLteAttachResultType = 1 mLteAttachExtraInfo = 0 LteVopsSupportInfo :  mVopsSupport = {v} mEmcBearerSupport = {v} }}"
        ),
        None => "null".to_owned(),
    };
    let cell = format!("mMcc=231 mMnc=01 mAlphaLong={operator} mAlphaShort={operator}");
    format!(
        ", mNetworkRegistrationInfos=[NetworkRegistrationInfo{{ domain=CS transportType=WWAN registrationState=HOME networkRegistrationState=HOME roamingType=NOT_ROAMING accessNetworkTechnology={rat} rejectCause=0 emergencyEnabled=false availableServices=[VOICE,SMS,VIDEO] cellIdentity={{ {cell} }} voiceSpecificInfo=VoiceSpecificRegistrationInfo {{ mCssSupported=false mRoamingIndicator=0 mSystemIsInPrl=0 mDefaultRoamingIndicator=0}} dataSpecificInfo=null}}, NetworkRegistrationInfo{{ domain=PS transportType=WWAN registrationState=HOME networkRegistrationState=HOME roamingType=NOT_ROAMING accessNetworkTechnology={rat} rejectCause=0 emergencyEnabled=false availableServices=[DATA,MMS] cellIdentity={{ {cell} }} voiceSpecificInfo=null dataSpecificInfo={data_specific}}}]"
    )
}

/// The entries of `mPreciseDataConnectionStates` (after the same capture): the internet
/// PDN, and the IMS PDN when voice goes over IMS.
fn data_connections(radio: RadioAccess, volte: bool) -> String {
    let kind = radio.name();
    let internet = format!(
        "Pair{{1 [ApnSetting] internet, 3, , internet, , null, , null, null, 0, default | supl, IPV4V6, IPV4V6, true, 0, false}}= state: CONNECTED, transport: WWAN, id: 2, netId: 100, network type: {kind}, fail cause: NONE(0x0)"
    );
    if !volte {
        return internet;
    }
    format!(
        "{internet}, Pair{{1 [ApnSetting] IMS, 0, null, ims, null, null, null, null, null, 0, ims, IPV4V6, IPV4V6, true, 0, false}}= state: CONNECTED, transport: WWAN, id: 3, netId: 103, network type: {kind}, fail cause: NONE(0x0)"
    )
}

/// `ServiceState`'s radio technology number of `radio` (`getRilVoiceRadioTechnology`).
fn radio_technology(radio: RadioAccess) -> u32 {
    match radio {
        RadioAccess::Gsm => 16,
        RadioAccess::Umts => 3,
        RadioAccess::Lte => 14,
        RadioAccess::Nr => 20,
    }
}

/// `TelephonyManager`'s network type number of `radio` (`mCallNetworkType`).
fn network_type(radio: RadioAccess) -> u32 {
    match radio {
        RadioAccess::Gsm => 16,
        RadioAccess::Umts => 3,
        RadioAccess::Lte => 13,
        RadioAccess::Nr => 20,
    }
}

fn epoch_ms(text: &str) -> Option<u64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: u64 = secs.parse().ok()?;
    let frac = format!("{frac:0<3}");
    let ms: u64 = frac.get(..3)?.parse().ok()?;
    Some(secs * 1000 + ms)
}

/// Formats epoch milliseconds as logcat's `MM-DD HH:MM:SS.mmm` (UTC), with the year if asked.
pub fn fmt_time(ms: u64, year: bool) -> String {
    let secs = ms / 1000;
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let t = format!(
        "{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        ms % 1000
    );
    if year { format!("{y}-{t}") } else { t }
}
