//! farend-lab: the built-in virtual lab of farend.
//!
//! A [`VirtualLab`] runs a handful of virtual Android handsets on loopback:
//!
//! * each handset is an ADB device over TCP (`adb connect 127.0.0.1:PORT` works with the
//!   real `adb`, and so does a direct ADB client); its shell answers `getprop`,
//!   `am start -a android.intent.action.CALL -d tel:N`, `input keyevent`, `dumpsys
//!   telephony.registry`, `dumpsys telecom` and `logcat -d` the way Android 13/14 does;
//! * a virtual mobile network routes calls between them by number and carries the audio
//!   of each call on a [network profile](netprofile): a real speech codec (G.711, AMR-NB,
//!   AMR-WB, GSM-FR, Opus), frame loss concealed by the codec, gain, noise at the talker,
//!   a transport delay and faults (dropped call, one-way audio, mute); every answered call
//!   leaves its [ground truth](truth) (frames lost, true delay, faults) to check against;
//! * each handset has a virtual sound card: a `mic` port (audio into the microphone) and
//!   an `ear` port (audio out of the earpiece), clocked by one lab-wide sample clock.
//!
//! The API is synchronous; the lab owns plain OS threads (no async runtime), so it works
//! the same whether or not the caller runs inside one.
//!
//! # Map
//!
//! | module | what it does |
//! |---|---|
//! | [`adb::transport`] | 24-byte message header, CNXN/AUTH/OPEN/OKAY/WRTE/CLSE |
//! | [`adb::connection`] | handshake, stream demultiplexing, one WRTE in flight per stream |
//! | [`adb::shell_service`] | `shell:` (v1), `shell,v2,...:` (framed, exit status), `exec:`, interactive/pty |
//! | [`shell`] | the mini shell: quoting, `;` `&&` `\|\|` `\|`, redirections, `$?`, builtins |
//! | [`android`] | `getprop`, `am start`, `input keyevent`, `dumpsys`, `logcat` |
//! | [`profile`] | the phones the handsets pretend to be (Pixel 7, SM-S911B, ...) |
//! | [`network`] | numbers, call routing and states, telecom records, device logs |
//! | [`mic`] | what is scheduled on each microphone, against the lab clock |
//! | [`media`] | one call direction: resampling, noise, codec, loss, gain, delay line |
//! | [`resample`] | card ↔ codec rate conversion with an exactly known delay |
//! | [`jitter`] | packet delay variation and the adaptive jitter buffer |
//! | [`netprofile`] | network profiles: codec, delay, loss models, faults; the built-in ones |
//! | [`truth`] | what really happened on each way of each answered call |
//! | [`card`] | the sound card ports and the lab clock (one tick = 20 ms) |
//!
//! # Calls
//!
//! Dialling (`am start -a android.intent.action.CALL -d tel:N`) puts the caller offhook
//! (`mCallState=2`) at once and makes the callee ring (`1`). `input keyevent KEYCODE_CALL`
//! on the callee connects the call (both `2`); `KEYCODE_ENDCALL` on either side ends it
//! (both `0`). Unknown or busy numbers fail: the caller drops back to idle after 1.5 s.
//!
//! # Audio timing
//!
//! All handsets share one sample clock. Audio scheduled on A's mic at clock index `t`
//! arrives at B's ear at exactly `t + transport_delay + codec delay` (the resampling
//! filters' group delay is taken out of the delay line; the codec's algorithmic delay is
//! what [`farend_codec::CodecSpec::algorithmic_delay`] says), G.711 keeps the level within a
//! fraction of a dB.
//!
//! ```no_run
//! use farend_lab::{LabConfig, VirtualLab};
//!
//! let lab = VirtualLab::start(LabConfig::default())?;
//! for h in lab.handsets() {
//!     println!("{} {} {} {} mic={} ear={}", h.id, h.serial, h.number, h.model, h.mic, h.ear);
//! }
//! // e.g. `adb connect 127.0.0.1:PORT` and `adb -s 127.0.0.1:PORT shell getprop` now work.
//! lab.shutdown();
//! # Ok::<(), farend_lab::LabError>(())
//! ```

pub mod adb;
pub mod android;
pub mod card;
pub mod drift;
pub mod jitter;
pub mod media;
pub mod mic;
pub mod netprofile;
pub mod network;
pub mod profile;
pub mod resample;
pub mod server;
pub mod shell;
pub mod truth;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use farend_codec::{CodecError, CodecSpec};
pub use netprofile::NetworkProfile;
pub use truth::CallTruth;

use android::Handset;
use card::Hub;
use network::Network;
use server::{Server, connectable};

/// Ports the adb server probes for emulators; virtual handsets never use them.
pub const RESERVED_PORTS: std::ops::RangeInclusive<u16> = 5555..=5585;

/// How to build the lab.
#[derive(Debug, Clone, PartialEq)]
pub struct LabConfig {
    /// Number of virtual handsets (default 4).
    pub handsets: usize,
    /// Sound card sample rate in Hz (default 16000; 8000, 24000 and 48000 also work).
    pub sample_rate: u32,
    /// One-way transport delay of calls on no named profile (default 60 ms).
    pub transport_delay: Duration,
    /// Speech codec of calls on no named profile (default G.711 A-law).
    pub codec: CodecSpec,
    /// Number of the first handset; the next ones count up (default `+421900000001`).
    pub first_number: String,
    /// Address all ports bind to (default 127.0.0.1).
    pub bind_ip: IpAddr,
    /// `None`: OS-assigned ports; `Some(p)`: handset i uses p+3i (adb), p+3i+1 (mic), p+3i+2 (ear).
    pub base_port: Option<u16>,
    /// Whether the handsets ask a host that connects straight to them to authenticate
    /// (ADB `AUTH`), as a real handset with USB debugging on does; every key offered is
    /// accepted, as if the user tapped "Allow" (default off).
    pub require_auth: bool,
}

impl LabConfig {
    /// The profile of calls on no named profile: the built-in `clean-g711` with this
    /// configuration's codec and delay (named `default` when the codec is not G.711 A-law).
    pub fn default_profile(&self) -> NetworkProfile {
        let name = if self.codec == CodecSpec::G711ALaw {
            netprofile::DEFAULT_PROFILE
        } else {
            "default"
        };
        NetworkProfile {
            delay: self.transport_delay,
            ..NetworkProfile::clean(name, self.codec)
        }
    }
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            handsets: 4,
            sample_rate: 16000,
            transport_delay: Duration::from_millis(60),
            codec: CodecSpec::G711ALaw,
            first_number: "+421900000001".into(),
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: None,
            require_auth: false,
        }
    }
}

/// What a caller needs to know about one virtual handset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandsetInfo {
    /// Lab id (`vh-1`, `vh-2`, ...).
    pub id: String,
    /// ADB serial (`127.0.0.1:PORT`), as `adb devices` lists it after `adb connect`.
    pub serial: String,
    /// Address of the handset's ADB port.
    pub adb_addr: SocketAddr,
    /// Directory number.
    pub number: String,
    /// `ro.product.model`.
    pub model: String,
    /// `ro.product.manufacturer`.
    pub manufacturer: String,
    /// `ro.build.version.release`.
    pub android_release: String,
    /// Microphone port (`virtual:127.0.0.1:PORT`).
    pub mic: String,
    /// Earpiece port (`virtual:127.0.0.1:PORT`).
    pub ear: String,
}

/// Errors starting the lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// `handsets` was zero.
    #[error("the lab needs at least one handset")]
    NoHandsets,
    /// A port would fall in the range the adb server probes for emulators, or beyond 65535.
    #[error(
        "port {0} is not usable for a virtual handset (5555-5585 are probed by adb as emulators)"
    )]
    BadPort(u32),
    /// `first_number` is not a number the lab can count up from.
    #[error("invalid first number {0:?}: expected an optional '+' followed by digits")]
    InvalidNumber(String),
    /// The media path cannot be built with this rate and delay.
    #[error(transparent)]
    Media(#[from] media::MediaError),
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address tried.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// A thread could not be started.
    #[error("cannot start a lab thread: {0}")]
    Thread(std::io::Error),
}

/// Everything a handset's ADB connections need.
#[derive(Debug)]
pub struct DeviceContext {
    /// Handset id (`vh-1`).
    pub id: String,
    /// Static identity.
    pub handset: Handset,
    /// The network.
    pub net: Arc<Mutex<Network>>,
    /// Whether a connecting host must authenticate first.
    pub require_auth: bool,
}

struct HandsetRuntime {
    servers: Vec<Server>,
    killed: bool,
}

/// A running virtual lab. Dropping it shuts it down.
pub struct VirtualLab {
    infos: Vec<HandsetInfo>,
    default_profile: NetworkProfile,
    runtimes: Mutex<Vec<HandsetRuntime>>,
    net: Arc<Mutex<Network>>,
    hub: Arc<Hub>,
    stop: Arc<AtomicBool>,
    clock: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for VirtualLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualLab")
            .field("handsets", &self.infos)
            .finish()
    }
}

/// The numbers of `count` handsets starting at `first`.
pub fn numbers(first: &str, count: usize) -> Result<Vec<String>, LabError> {
    let bad = || LabError::InvalidNumber(first.to_string());
    let (plus, digits) = match first.strip_prefix('+') {
        Some(d) => ("+", d),
        None => ("", first),
    };
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let base: u128 = digits.parse().map_err(|_| bad())?;
    (0..count as u128)
        .map(|i| {
            let s = format!("{plus}{:0width$}", base + i, width = digits.len());
            if s.len() > 32 { Err(bad()) } else { Ok(s) }
        })
        .collect()
}

fn bind(ip: IpAddr, port: Option<u32>) -> Result<TcpListener, LabError> {
    for _ in 0..20 {
        let p = match port {
            Some(p) if p > u32::from(u16::MAX) || RESERVED_PORTS.contains(&(p as u16)) => {
                return Err(LabError::BadPort(p));
            }
            Some(p) => p as u16,
            None => 0,
        };
        let addr = SocketAddr::new(ip, p);
        let l = TcpListener::bind(addr).map_err(|source| LabError::Bind { addr, source })?;
        let got = l
            .local_addr()
            .map_err(|source| LabError::Bind { addr, source })?
            .port();
        if !RESERVED_PORTS.contains(&got) {
            return Ok(l);
        }
    }
    Err(LabError::BadPort(0))
}

impl VirtualLab {
    /// Starts the lab: binds every port, starts the clock, and returns once all listen.
    pub fn start(config: LabConfig) -> Result<VirtualLab, LabError> {
        if config.handsets == 0 {
            return Err(LabError::NoHandsets);
        }
        if let Some(base) = config.base_port {
            let last = u32::from(base) + 3 * config.handsets as u32 - 1;
            for p in u32::from(base)..=last {
                if p > u32::from(u16::MAX) || RESERVED_PORTS.contains(&(p as u16)) {
                    return Err(LabError::BadPort(p));
                }
            }
        }
        let nums = numbers(&config.first_number, config.handsets)?;
        let rate = config.sample_rate;
        let default_profile = config.default_profile();
        let net = Arc::new(Mutex::new(Network::new(
            nums.clone(),
            default_profile.clone(),
            rate,
        )?));
        let hub = Arc::new(Hub::new(config.handsets));
        let stop = Arc::new(AtomicBool::new(false));
        let mut infos = Vec::new();
        let mut runtimes = Vec::new();
        for (i, number) in nums.into_iter().enumerate() {
            let id = format!("vh-{}", i + 1);
            let port = |k: u32| config.base_port.map(|b| u32::from(b) + 3 * i as u32 + k);
            let adb_l = bind(config.bind_ip, port(0))?;
            let mic_l = bind(config.bind_ip, port(1))?;
            let ear_l = bind(config.bind_ip, port(2))?;
            let local = |l: &TcpListener| {
                l.local_addr()
                    .map(connectable)
                    .map_err(|source| LabError::Bind {
                        addr: SocketAddr::new(config.bind_ip, 0),
                        source,
                    })
            };
            let (adb_addr, mic_addr, ear_addr) = (local(&adb_l)?, local(&mic_l)?, local(&ear_l)?);
            let profile = profile::profile(i);
            let handset = Handset {
                idx: i,
                profile,
                serialno: format!("FVH{:02}{:08X}", i + 1, 0x5A17_0000u32 + i as u32),
                number: number.clone(),
            };
            let ctx = Arc::new(DeviceContext {
                id: id.clone(),
                handset,
                net: net.clone(),
                require_auth: config.require_auth,
            });
            let adb = Server::start(format!("{id}-adb"), adb_l, move |s| {
                adb::connection::serve(s, ctx.clone())
            })
            .map_err(LabError::Thread)?;
            let h2 = hub.clone();
            let mic_net = net.clone();
            let mic = Server::start(format!("{id}-mic"), mic_l, move |s| {
                card::serve_mic(s, i, rate, h2.clone(), mic_net.clone())
            })
            .map_err(LabError::Thread)?;
            let h3 = hub.clone();
            let ear = Server::start(format!("{id}-ear"), ear_l, move |s| {
                card::serve_ear(s, i, rate, h3.clone())
            })
            .map_err(LabError::Thread)?;
            infos.push(HandsetInfo {
                id,
                serial: adb_addr.to_string(),
                adb_addr,
                number,
                model: profile.model.into(),
                manufacturer: profile.manufacturer.into(),
                android_release: profile.release.into(),
                mic: format!("virtual:{mic_addr}"),
                ear: format!("virtual:{ear_addr}"),
            });
            runtimes.push(HandsetRuntime {
                servers: vec![adb, mic, ear],
                killed: false,
            });
        }
        let (n2, h2, s2) = (net.clone(), hub.clone(), stop.clone());
        let clock = std::thread::Builder::new()
            .name("lab-clock".into())
            .spawn(move || card::clock_loop(n2, h2, rate, s2))
            .map_err(LabError::Thread)?;
        Ok(VirtualLab {
            infos,
            default_profile,
            runtimes: Mutex::new(runtimes),
            net,
            hub,
            stop,
            clock: Some(clock),
        })
    }

    /// The handsets, in order (`vh-1` first).
    pub fn handsets(&self) -> &[HandsetInfo] {
        &self.infos
    }

    /// The profile of calls on no named profile.
    pub fn default_profile(&self) -> &NetworkProfile {
        &self.default_profile
    }

    /// Puts the calls handset `id` places on `profile` (`None`: the lab's default) until
    /// told otherwise. False if `id` is unknown.
    pub fn set_profile(&self, id: &str, profile: Option<NetworkProfile>) -> Result<bool, LabError> {
        let Some(idx) = self.infos.iter().position(|h| h.id == id) else {
            return Ok(false);
        };
        let mut net = self.net.lock().unwrap_or_else(|e| e.into_inner());
        net.set_profile(idx, profile)?;
        Ok(true)
    }

    /// Takes the ground truth of the finished calls handset `id` took part in (each call
    /// once: whichever of its two handsets asks first gets it).
    pub fn take_truths(&self, id: &str) -> Vec<CallTruth> {
        let Some(idx) = self.infos.iter().position(|h| h.id == id) else {
            return Vec::new();
        };
        let mut net = self.net.lock().unwrap_or_else(|e| e.into_inner());
        net.take_truths(idx)
    }

    /// Makes a handset vanish: its ADB port and connections and its sound card ports close
    /// at once, and its call (if any) drops for the peer. False if unknown or already gone.
    pub fn kill_handset(&self, id: &str) -> bool {
        let Some(idx) = self.infos.iter().position(|h| h.id == id) else {
            return false;
        };
        let mut rts = self.runtimes.lock().unwrap_or_else(|e| e.into_inner());
        let rt = &mut rts[idx];
        if rt.killed {
            return false;
        }
        rt.killed = true;
        self.net.lock().unwrap_or_else(|e| e.into_inner()).kill(idx);
        for s in &mut rt.servers {
            s.stop();
        }
        self.hub.drop_clients(idx);
        true
    }

    /// Stops the lab: every port closes and every thread it owns ends.
    pub fn shutdown(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(c) = self.clock.take() {
            let _ = c.join();
        }
        let mut rts = self.runtimes.lock().unwrap_or_else(|e| e.into_inner());
        for rt in rts.iter_mut() {
            for s in &mut rt.servers {
                s.stop();
            }
        }
        for i in 0..self.infos.len() {
            self.hub.drop_clients(i);
        }
    }
}

impl Drop for VirtualLab {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_count_up() {
        assert_eq!(
            numbers("+421900000001", 3).unwrap(),
            ["+421900000001", "+421900000002", "+421900000003"]
        );
        assert_eq!(numbers("0099", 2).unwrap(), ["0099", "0100"]);
        assert!(numbers("+42a", 1).is_err() && numbers("+", 1).is_err());
    }

    #[test]
    fn refuses_reserved_ports() {
        let cfg = LabConfig {
            base_port: Some(5550),
            ..LabConfig::default()
        };
        assert!(matches!(
            VirtualLab::start(cfg),
            Err(LabError::BadPort(5555))
        ));
        let cfg = LabConfig {
            base_port: Some(65534),
            handsets: 1,
            ..LabConfig::default()
        };
        assert!(matches!(
            VirtualLab::start(cfg),
            Err(LabError::BadPort(65536))
        ));
        let cfg = LabConfig {
            handsets: 0,
            ..LabConfig::default()
        };
        assert!(matches!(VirtualLab::start(cfg), Err(LabError::NoHandsets)));
    }
}
