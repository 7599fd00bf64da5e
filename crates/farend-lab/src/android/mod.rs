//! The Android commands a virtual handset answers, printed the way Android 13/14 prints them:
//! `getprop`, `am start` (CALL intents), `input keyevent`, `dumpsys telephony.registry`,
//! `dumpsys telecom`, `logcat` and the bug reports (`bugreport`, `bugreportz`).

use std::sync::Mutex;

use crate::netprofile::RadioAccess;
use crate::network::Network;
use crate::profile::Profile;
use crate::shell::{Commands, Output};
use farend_device::is_dialable;
use farend_report::redact_number;

mod bugreport;
mod dumpsys;

pub use dumpsys::fmt_time;

/// Static facts about one virtual handset.
#[derive(Debug, Clone)]
pub struct Handset {
    /// Index in the lab (0-based).
    pub idx: usize,
    /// Build profile.
    pub profile: &'static Profile,
    /// `ro.serialno`.
    pub serialno: String,
    /// Directory number.
    pub number: String,
}

impl Handset {
    /// The handset's IMEI: a fixed type allocation code, the lab index as serial number, and
    /// the Luhn check digit, so every virtual handset has a distinct, valid one.
    pub fn imei(&self) -> String {
        let body = format!("35693803{:06}", self.idx + 1);
        format!("{body}{}", luhn_check_digit(&body))
    }

    /// The SIM's IMSI: the network's MCC and MNC (231 01) and the lab index.
    pub fn imsi(&self) -> String {
        format!("23101{:010}", self.idx + 1)
    }

    /// The SIM's ICCID: `89` (telecom), the country code 421, the issuer and the lab index.
    pub fn iccid(&self) -> String {
        format!("8942101{:012}", self.idx + 1)
    }

    /// All system properties, sorted by name, for a handset registered on `radio`.
    pub fn props(&self, radio: RadioAccess) -> Vec<(String, String)> {
        let p = self.profile;
        let dual = p.sim_slots > 1;
        let pair = |a: &str, b: &str| {
            if dual {
                format!("{a},{b}")
            } else {
                a.to_string()
            }
        };
        let mut v: Vec<(String, String)> = vec![
            ("gsm.current.phone-type", pair("1", "1")),
            ("gsm.network.type", pair(radio.name(), "Unknown")),
            ("gsm.operator.alpha", pair(p.operator, "")),
            ("gsm.operator.iso-country", pair("sk", "")),
            ("gsm.operator.numeric", pair(p.operator_numeric, "")),
            ("gsm.sim.operator.alpha", pair(p.operator, "")),
            ("gsm.sim.operator.numeric", pair(p.operator_numeric, "")),
            ("gsm.sim.state", pair("LOADED", "ABSENT")),
            ("persist.sys.timezone", "Europe/Bratislava".into()),
            ("ro.boot.serialno", self.serialno.clone()),
            ("ro.build.characteristics", "nosdcard".into()),
            ("ro.build.fingerprint", p.fingerprint()),
            ("ro.build.id", p.build_id.into()),
            ("ro.build.tags", "release-keys".into()),
            ("ro.build.type", "user".into()),
            ("ro.build.version.incremental", p.incremental.into()),
            ("ro.build.version.release", p.release.into()),
            ("ro.build.version.release_or_codename", p.release.into()),
            ("ro.build.version.sdk", p.sdk.to_string()),
            ("ro.build.version.security_patch", p.security_patch.into()),
            ("ro.hardware", p.hardware.into()),
            ("ro.product.board", p.device.into()),
            ("ro.product.brand", p.brand.into()),
            ("ro.product.cpu.abi", "arm64-v8a".into()),
            ("ro.product.device", p.device.into()),
            ("ro.product.locale", "en-US".into()),
            ("ro.product.manufacturer", p.manufacturer.into()),
            ("ro.product.model", p.model.into()),
            ("ro.product.name", p.name.into()),
            ("ro.serialno", self.serialno.clone()),
            ("ro.telephony.default_network", pair("33", "33")),
            ("sys.boot_completed", "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        v.sort();
        v
    }

    /// The ADB connection banner (`device::...`).
    pub fn banner(&self) -> String {
        let p = self.profile;
        format!(
            "device::ro.product.name={};ro.product.model={};ro.product.device={};features=shell_v2,cmd,stat_v2",
            p.name, p.model, p.device
        )
    }
}

/// Runs Android commands for one handset against the network.
pub struct AndroidHost<'a> {
    /// The handset.
    pub handset: &'a Handset,
    /// The network it is attached to.
    pub net: &'a Mutex<Network>,
}

impl Commands for AndroidHost<'_> {
    fn run(&mut self, argv: &[String], out: &mut Output) -> Option<u8> {
        let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
        Some(match argv[0].as_str() {
            "getprop" => self.getprop(&args, out),
            "am" => self.am(&args, out),
            "input" => self.input(&args, out),
            "dumpsys" => self.dumpsys(&args, out),
            "wm" => self.wm(&args, out),
            "locksettings" => self.locksettings(&args, out),
            "logcat" => self.logcat(&args, out),
            "cmd" => self.cmd(&args, out),
            "bugreport" => self.bugreport(out),
            "bugreportz" => self.bugreportz(&args, out),
            "cat" => self.cat(&args, out),
            "rm" => self.rm(&args, out),
            _ => return None,
        })
    }
}

/// The Luhn check digit of a string of digits (the last digit of an IMEI).
fn luhn_check_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let twice = d * 2;
                twice / 10 + twice % 10
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

impl AndroidHost<'_> {
    /// `cmd connectivity airplane-mode [enable|disable]`, as Android 11 and later take it
    /// from the shell user; other `cmd` services are not there.
    fn cmd(&mut self, args: &[&str], out: &mut Output) -> u8 {
        match args {
            ["connectivity", "airplane-mode"] => {
                let on = lock(self.net).phones[self.handset.idx].airplane;
                out.out(if on { "enabled\n" } else { "disabled\n" });
                0
            }
            [
                "connectivity",
                "airplane-mode",
                mode @ ("enable" | "disable"),
            ] => {
                let mut net = lock(self.net);
                net.set_airplane(self.handset.idx, *mode == "enable");
                0
            }
            ["connectivity", ..] => {
                out.err("Unknown command\n");
                255
            }
            [service, ..] => {
                out.err(&format!("cmd: Can't find service: {service}\n"));
                255
            }
            [] => {
                out.err("cmd: No service specified; use -l to list all running services.\n");
                255
            }
        }
    }
}

pub(crate) fn lock(net: &Mutex<Network>) -> std::sync::MutexGuard<'_, Network> {
    net.lock().unwrap_or_else(|e| e.into_inner())
}

/// `Uri.toSafeString()` for `tel:` URIs: every character but `-@.` becomes `x`.
fn safe_uri(data: &str) -> String {
    match data.split_once(':') {
        Some((scheme, ssp)) if matches!(scheme, "tel" | "sip" | "sms" | "smsto" | "mailto") => {
            let masked: String = ssp
                .chars()
                .map(|c| if matches!(c, '-' | '@' | '.') { c } else { 'x' })
                .collect();
            format!("{scheme}:{masked}")
        }
        _ => data.to_string(),
    }
}

impl AndroidHost<'_> {
    fn getprop(&self, args: &[&str], out: &mut Output) -> u8 {
        let radio = lock(self.net).profile_of(self.handset.idx).radio;
        let props = self.handset.props(radio);
        match args.first() {
            None => {
                for (k, v) in &props {
                    out.out(&format!("[{k}]: [{v}]\n"));
                }
            }
            Some(name) => {
                let v = props
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str());
                let default = args.get(1).copied().unwrap_or("");
                out.out(v.unwrap_or(default));
                out.out("\n");
            }
        }
        0
    }

    fn am(&self, args: &[&str], out: &mut Output) -> u8 {
        if args.first() != Some(&"start") {
            out.out("Activity manager (activity) commands:\n  help\n      Print this help text.\n  start [-a ACTION] [-d DATA_URI] ...\n      Start an Activity.\n");
            return if args.is_empty() { 0 } else { 255 };
        }
        let mut action = None;
        let mut data = None;
        let mut i = 1;
        while i < args.len() {
            match args[i] {
                "-a" => action = args.get(i + 1).copied(),
                "-d" => data = args.get(i + 1).copied(),
                "-t" | "-c" | "-n" | "-f" | "--user" | "--es" | "--ei" | "--ez" | "-e" => {}
                _ => {
                    i += 1;
                    continue;
                }
            }
            i += if args[i].starts_with("--e") || args[i] == "-e" {
                3
            } else {
                2
            };
        }
        let mut desc = String::from("Intent {");
        if let Some(a) = action {
            desc += &format!(" act={a}");
        }
        if let Some(d) = data {
            desc += &format!(" dat={}", safe_uri(d));
        }
        let number = data.and_then(|d| d.strip_prefix("tel:"));
        let is_call = matches!(
            action,
            Some("android.intent.action.CALL" | "android.intent.action.CALL_PRIVILEGED")
        );
        match (is_call, number) {
            (true, Some(n)) if is_dialable(n) => {
                out.out(&format!("Starting: {desc} }}\n"));
                let idx = self.handset.idx;
                let mut net = lock(self.net);
                net.log(
                    idx,
                    'I',
                    "Telecom",
                    format!(
                        "UserCallIntentProcessor: processOutgoingCallIntent: tel:{}",
                        redact_number(n)
                    ),
                );
                net.dial(idx, n);
                0
            }
            (true, Some(n)) => {
                out.out(&format!("Starting: {desc} }}\n"));
                lock(self.net).log(
                    self.handset.idx,
                    'W',
                    "Telecom",
                    format!(
                        "NewOutgoingCallIntentBroadcaster: invalid number: {}",
                        redact_number(n)
                    ),
                );
                out.err(&format!(
                    "Error: Call not placed: the number in {} is not dialable\n",
                    safe_uri(data.unwrap_or(""))
                ));
                1
            }
            _ => {
                out.err(&format!(
                    "Error: Activity not started, unable to resolve {desc} flg=0x10000000 }}\n"
                ));
                1
            }
        }
    }

    /// `wm dismiss-keyguard`: dismisses a keyguard without a PIN (silently does nothing
    /// otherwise, as Android does); other `wm` commands are not there.
    fn wm(&self, args: &[&str], out: &mut Output) -> u8 {
        if args == ["dismiss-keyguard"] {
            lock(self.net).phones[self.handset.idx]
                .screen
                .dismiss_keyguard();
            return 0;
        }
        out.err("Error: unknown command\n");
        255
    }

    /// `locksettings set-pin PIN` and `locksettings clear --old PIN` (Android 8 and later),
    /// so a test can give a handset a lock the shell cannot open.
    fn locksettings(&self, args: &[&str], out: &mut Output) -> u8 {
        let mut net = lock(self.net);
        let screen = &mut net.phones[self.handset.idx].screen;
        match args {
            ["set-pin", pin] if screen.pin.is_none() => {
                screen.pin = Some((*pin).to_string());
                out.out(&format!("Pin set to '{pin}'\n"));
                0
            }
            ["clear", "--old", old] if screen.pin.as_deref() == Some(*old) => {
                screen.pin = None;
                out.out("Lock credential cleared\n");
                0
            }
            ["set-pin", ..] | ["clear", ..] => {
                out.out("Old password provided but user has no password\n");
                255
            }
            _ => {
                out.err("usage: locksettings set-pin|clear ...\n");
                255
            }
        }
    }

    fn input(&self, args: &[&str], out: &mut Output) -> u8 {
        let mut rest = args;
        if matches!(
            rest.first(),
            Some(&("keyboard" | "dpad" | "gamepad" | "touchscreen"))
        ) {
            rest = &rest[1..];
        }
        if rest.first() != Some(&"keyevent") || rest.len() < 2 {
            out.err("Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]\n\nThe commands and default sources are:\n      keyevent [--longpress|--doubletap] <key code number or name> ...\n");
            return 1;
        }
        let idx = self.handset.idx;
        for key in rest[1..].iter().filter(|k| !k.starts_with("--")) {
            let name = key.strip_prefix("KEYCODE_").unwrap_or(key);
            let mut net = lock(self.net);
            let answered = matches!(name, "CALL" | "5" | "HEADSETHOOK" | "79") && net.answer(idx);
            if answered {
                net.log(
                    idx,
                    'I',
                    "Telecom",
                    format!("CallsManager: answerCall: from KEYCODE_{name}"),
                );
            } else if matches!(name, "ENDCALL" | "6" | "HEADSETHOOK" | "79") && net.hang_up(idx) {
                net.log(
                    idx,
                    'I',
                    "Telecom",
                    format!("CallsManager: disconnectCall: from KEYCODE_{name}"),
                );
            } else {
                let screen = &mut net.phones[idx].screen;
                match name {
                    // ENDCALL without a call puts the screen to sleep, as on a phone.
                    "SLEEP" | "223" | "ENDCALL" | "6" => screen.sleep(),
                    "WAKEUP" | "224" => screen.asleep = false,
                    "POWER" | "26" if screen.asleep => screen.asleep = false,
                    "POWER" | "26" => screen.sleep(),
                    // MENU dismisses a keyguard without a PIN.
                    "MENU" | "82" => {
                        screen.dismiss_keyguard();
                    }
                    _ => {}
                }
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::run_script;

    fn setup() -> (Vec<Handset>, Mutex<Network>) {
        let hs: Vec<Handset> = (0..2)
            .map(|i| Handset {
                idx: i,
                profile: crate::profile::profile(i),
                serialno: format!("SN{i}"),
                number: format!("+42190000000{}", i + 1),
            })
            .collect();
        let net = Network::new(
            hs.iter().map(|h| h.number.clone()).collect(),
            crate::NetworkProfile::clean("test", farend_codec::CodecSpec::G711ALaw),
            16000,
        )
        .unwrap();
        (hs, Mutex::new(net))
    }

    fn sh(h: &Handset, net: &Mutex<Network>, cmd: &str) -> (String, String, u8) {
        let (o, s) = run_script(cmd, &mut AndroidHost { handset: h, net });
        (
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
            s,
        )
    }

    #[test]
    fn getprop_formats() {
        let (hs, net) = setup();
        assert_eq!(sh(&hs[0], &net, "getprop ro.product.model").0, "Pixel 7\n");
        assert_eq!(sh(&hs[0], &net, "getprop no.such.prop").0, "\n");
        assert_eq!(sh(&hs[0], &net, "getprop no.such 'x y'").0, "x y\n");
        let all = sh(&hs[1], &net, "getprop").0;
        assert!(all.contains("[ro.build.version.sdk]: [34]\n"), "{all}");
        assert!(all.contains("[ro.build.fingerprint]: [samsung/dm1qxxx/dm1q:14/UP1A.231005.007/S911BXXS6CXG1:user/release-keys]\n"));
    }

    #[test]
    fn call_via_commands() {
        let (hs, net) = setup();
        let (o, _, _) = sh(
            &hs[0],
            &net,
            "am start -a android.intent.action.CALL -d tel:+421900000002 ; echo :farend-rc:$?",
        );
        assert_eq!(
            o,
            "Starting: Intent { act=android.intent.action.CALL dat=tel:xxxxxxxxxxxxx }\n:farend-rc:0\n"
        );
        let reg = sh(&hs[1], &net, "dumpsys telephony.registry").0;
        assert!(reg.contains("  Phone Id=0\n    mCallState=1\n"), "{reg}");
        assert!(reg.contains("mCallIncomingNumber=+421900000001\n"));
        assert!(
            reg.contains("  Phone Id=1\n    mCallState=0\n"),
            "dual SIM block"
        );
        sh(&hs[1], &net, "input keyevent KEYCODE_CALL");
        assert!(
            sh(&hs[0], &net, "dumpsys telephony.registry")
                .0
                .contains("mCallState=2\n")
        );
        let tel = sh(&hs[0], &net, "dumpsys telecom").0;
        assert!(
            tel.contains("Call TC@1: {\n")
                && tel.contains("direction: OUTGOING")
                && tel.contains("state: ACTIVE"),
            "{tel}"
        );
        sh(&hs[0], &net, "input keyevent 6");
        assert!(
            sh(&hs[1], &net, "dumpsys telephony.registry")
                .0
                .contains("Phone Id=0\n    mCallState=0\n")
        );
        let log = sh(&hs[1], &net, "logcat -d").0;
        assert!(log.starts_with("--------- beginning of main\n"));
        assert!(
            log.contains(" I Telecom : Call: setState: TC@1 DISCONNECTED"),
            "{log}"
        );
        // Only the lines since a time: none from the future, all from the epoch on.
        let future = sh(&hs[1], &net, "logcat -d -T 99999999999.000").0;
        assert_eq!(future, "--------- beginning of main\n");
        assert_eq!(sh(&hs[1], &net, "logcat -d -T 0.5").0, log);
        assert_ne!(sh(&hs[1], &net, "logcat -d -T yesterday").2, 0);
    }

    #[test]
    fn bad_intents_and_harmless_keys() {
        let (hs, net) = setup();
        let (o, e, s) = sh(&hs[0], &net, "am start -a android.intent.action.CALL");
        assert_eq!((o.as_str(), s), ("", 1));
        assert_eq!(
            e,
            "Error: Activity not started, unable to resolve Intent { act=android.intent.action.CALL flg=0x10000000 }\n"
        );
        let (_, e, s) = sh(
            &hs[0],
            &net,
            "am start -a android.intent.action.CALL -d tel:abc",
        );
        assert!(s == 1 && e.contains("tel:xxx"), "{e}");
        assert_eq!(
            sh(
                &hs[0],
                &net,
                "input keyevent KEYCODE_ENDCALL; input keyevent 5"
            )
            .2,
            0
        );
        assert_eq!(lock(&net).call_state(0), 0);
    }

    #[test]
    fn time_format() {
        assert_eq!(fmt_time(0, true), "1970-01-01 00:00:00.000");
        assert_eq!(fmt_time(1_763_702_975_123, false), "11-21 05:29:35.123");
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    #[test]
    fn imeis_carry_a_valid_luhn_digit() {
        // A published example IMEI: 49015420323751 with check digit 8.
        assert_eq!(luhn_check_digit("49015420323751"), 8);
        let handset = Handset {
            idx: 0,
            profile: &crate::profile::PROFILES[0],
            serialno: "x".into(),
            number: "+421900000001".into(),
        };
        let imei = handset.imei();
        assert_eq!(imei.len(), 15);
        assert_eq!(
            luhn_check_digit(&imei[..14]),
            imei[14..].parse::<u32>().unwrap()
        );
        assert_eq!(handset.imsi(), "231010000000001");
        assert_eq!(handset.iccid().len(), 19);
    }
}
