//! Network profiles: what the virtual network does to a call. A profile names the speech
//! codec, the transport delay, packet loss (random or Gilbert–Elliott bursts, concealed by
//! the codec's own concealment), gain, background noise at the talker and faults (a dropped
//! call, one-way audio, muted stretches). Profiles are pure data; the media path and the
//! network apply them.

use std::time::Duration;

use farend_codec::{AmrNbMode, AmrWbMode, CodecSpec, OpusBandwidth, OpusSettings};

/// How 20 ms frames get lost on the way.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Loss {
    /// No frame is lost.
    #[default]
    None,
    /// Each frame is lost with probability `p`, independently.
    Random {
        /// Loss probability per frame (0..=1).
        p: f64,
    },
    /// Gilbert–Elliott bursts: a good state loses nothing, a bad state loses every frame;
    /// `p` is the chance of going from good to bad per frame, `r` of going back.
    Gilbert {
        /// Good → bad transition probability per frame.
        p: f64,
        /// Bad → good transition probability per frame.
        r: f64,
    },
}

impl Loss {
    /// The long-run share of lost frames.
    pub fn mean_rate(&self) -> f64 {
        match *self {
            Loss::None => 0.0,
            Loss::Random { p } => p,
            Loss::Gilbert { p, r } if p + r > 0.0 => p / (p + r),
            Loss::Gilbert { .. } => 0.0,
        }
    }
}

/// Which way of a call a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Caller to callee.
    Uplink,
    /// Callee to caller.
    Downlink,
    /// Both ways.
    Both,
}

/// Something going wrong on purpose, timed from the moment the call is answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The network drops the call `after` it was answered (a radio link failure).
    Drop {
        /// Time from answer to the drop.
        after: Duration,
    },
    /// Audio stops flowing one way (or both) from `after` on, for the rest of the call.
    OneWay {
        /// Time from answer to the loss of audio.
        after: Duration,
        /// The way that goes silent.
        way: Way,
    },
    /// The network reports the callee busy (cause 17) without ringing it.
    Busy,
    /// The network rejects the setup with a 3GPP TS 24.008 cause, without ringing the callee.
    Reject {
        /// The cause value (e.g. 34, no circuit available).
        cause: u32,
    },
    /// The callee rings, but the network gives up `after` that long without an answer
    /// (cause 19, no answer from user).
    NoAnswer {
        /// Time from the start of ringing.
        after: Duration,
    },
    /// The handsets on the profile lose service: their SIM reports out of service, no call
    /// can be placed from them.
    OutOfService,
    /// Setup is slow: the callee only starts ringing `after` the dial.
    SlowSetup {
        /// Time from dial to ringing.
        after: Duration,
    },
    /// The callee's handset stops answering ADB `after` the answer, until the call ends:
    /// commands reach it and get no reply (a hung telephony stack, a frozen handset).
    AdbUnresponsive {
        /// Time from answer.
        after: Duration,
    },
    /// Audio is muted from `from` to `to` (both from answer).
    Mute {
        /// Start of the mute.
        from: Duration,
        /// End of the mute.
        to: Duration,
        /// The way that is muted.
        way: Way,
    },
}

impl Fault {
    /// The fault's kind as `network-truth.json` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Drop { .. } => "drop",
            Fault::OneWay { .. } => "one_way",
            Fault::Busy => "busy",
            Fault::Reject { .. } => "reject",
            Fault::NoAnswer { .. } => "no_answer",
            Fault::SlowSetup { .. } => "slow_setup",
            Fault::OutOfService => "out_of_service",
            Fault::Mute { .. } => "mute",
            Fault::AdbUnresponsive { .. } => "adb_unresponsive",
        }
    }

    /// When the fault starts: from the answer for media faults and drops, from the dial for
    /// busy, reject and slow setup, from the start of ringing for no answer.
    pub fn at(&self) -> Duration {
        match *self {
            Fault::Drop { after }
            | Fault::OneWay { after, .. }
            | Fault::NoAnswer { after }
            | Fault::SlowSetup { after }
            | Fault::AdbUnresponsive { after } => after,
            Fault::Busy | Fault::Reject { .. } | Fault::OutOfService => Duration::ZERO,
            Fault::Mute { from, .. } => from,
        }
    }

    /// Whether the fault happens before the call is answered (call setup).
    pub fn is_setup(&self) -> bool {
        matches!(
            self,
            Fault::Busy
                | Fault::Reject { .. }
                | Fault::NoAnswer { .. }
                | Fault::SlowSetup { .. }
                | Fault::OutOfService
        )
    }

    /// Whether the fault concerns the way `uplink` (caller → callee) or the other.
    pub fn hits(&self, uplink: bool) -> bool {
        let way = match *self {
            Fault::OneWay { way, .. } | Fault::Mute { way, .. } => way,
            _ => Way::Both,
        };
        match way {
            Way::Both => true,
            Way::Uplink => uplink,
            Way::Downlink => !uplink,
        }
    }

    /// Whether the fault silences audio of the way `uplink` at `elapsed` after the answer.
    pub fn silences(&self, uplink: bool, elapsed: Duration) -> bool {
        self.hits(uplink)
            && match *self {
                Fault::OneWay { after, .. } => elapsed >= after,
                Fault::Mute { from, to, .. } => elapsed >= from && elapsed < to,
                _ => false,
            }
    }
}

/// A named network profile.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkProfile {
    /// The profile's name (`lte-poor`).
    pub name: String,
    /// The speech codec, both ways.
    pub codec: CodecSpec,
    /// One-way transport delay (radio, core network), on top of the codec's own delay.
    pub delay: Duration,
    /// Frame loss, each way independently.
    pub loss: Loss,
    /// Largest extra packet delay in ms, absorbed by an adaptive jitter buffer (0: none).
    pub jitter_ms: f64,
    /// Gain of the path in dB (negative: quieter).
    pub gain_db: f64,
    /// White noise at the talker, in dB relative to full scale; `None`: no noise.
    pub noise_dbfs: Option<f64>,
    /// Sample-clock offset between the two handsets' sound cards in ppm: the callee's card
    /// runs this much slow against the caller's (so the delay to the callee grows and the
    /// delay back shrinks); 0: one clock.
    pub clock_ppm: f64,
    /// Faults of the call.
    pub faults: Vec<Fault>,
}

impl NetworkProfile {
    /// A clean profile with `codec` and a 60 ms transport delay.
    pub fn clean(name: &str, codec: CodecSpec) -> Self {
        NetworkProfile {
            name: name.to_owned(),
            codec,
            delay: Duration::from_millis(60),
            loss: Loss::None,
            jitter_ms: 0.0,
            gain_db: 0.0,
            noise_dbfs: None,
            clock_ppm: 0.0,
            faults: Vec::new(),
        }
    }

    /// The mouth-to-ear delay this profile gives at the virtual sound cards without a
    /// jitter buffer: transport delay plus the codec's algorithmic delay.
    pub fn mouth_to_ear(&self) -> Duration {
        let codec = self.codec.algorithmic_delay() as f64 / f64::from(self.codec.sample_rate());
        self.delay + Duration::from_secs_f64(codec)
    }
}

/// Name of the profile a call gets when nothing names one.
pub const DEFAULT_PROFILE: &str = "clean-g711";

/// The profiles every virtual lab offers: clean ones, a poor LTE one, then two with faults
/// (a call dropped 6 s after the answer; no audio from callee to caller).
pub fn builtin() -> Vec<NetworkProfile> {
    let wideband_opus = OpusSettings {
        bandwidth: OpusBandwidth::Wide,
        bitrate_bps: 24_000,
    };
    vec![
        NetworkProfile::clean(DEFAULT_PROFILE, CodecSpec::G711ALaw),
        NetworkProfile::clean("amr-nb-12.2", CodecSpec::AmrNb(AmrNbMode::Mr122)),
        NetworkProfile::clean("amr-wb-12.65", CodecSpec::AmrWb(AmrWbMode::Md1265)),
        NetworkProfile::clean("g722", CodecSpec::G722),
        NetworkProfile::clean("opus-wb", CodecSpec::Opus(wideband_opus)),
        NetworkProfile {
            delay: Duration::from_millis(120),
            loss: Loss::Gilbert { p: 0.02, r: 0.3 },
            jitter_ms: 40.0,
            clock_ppm: 30.0,
            ..NetworkProfile::clean("lte-poor", CodecSpec::AmrWb(AmrWbMode::Md1265))
        },
        // Faults a new user can try without writing a lab file.
        NetworkProfile {
            faults: vec![Fault::Drop {
                after: Duration::from_secs(6),
            }],
            ..NetworkProfile::clean("dropped-call", CodecSpec::G711ALaw)
        },
        NetworkProfile {
            faults: vec![Fault::OneWay {
                after: Duration::ZERO,
                way: Way::Downlink,
            }],
            ..NetworkProfile::clean("one-way-audio", CodecSpec::G711ALaw)
        },
    ]
}

/// A small seeded random number generator (SplitMix64): loss and noise must be the same on
/// every run of the same call.
#[derive(Debug, Clone)]
pub struct Random(u64);

impl Random {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Random(seed)
    }

    /// The next number, uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal number (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.uniform().max(f64::MIN_POSITIVE);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The frame-loss process of one way of a call.
#[derive(Debug, Clone)]
pub struct LossProcess {
    model: Loss,
    bad: bool,
    random: Random,
}

impl LossProcess {
    /// A loss process for `model` seeded with `seed`.
    pub fn new(model: Loss, seed: u64) -> Self {
        LossProcess {
            model,
            bad: false,
            random: Random::new(seed),
        }
    }

    /// Whether the next frame is lost.
    pub fn next_lost(&mut self) -> bool {
        match self.model {
            Loss::None => false,
            Loss::Random { p } => self.random.uniform() < p,
            Loss::Gilbert { p, r } => {
                let flip = if self.bad { r } else { p };
                if self.random.uniform() < flip {
                    self.bad = !self.bad;
                }
                self.bad
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_have_unique_names_and_the_default() {
        let all = builtin();
        let mut names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        assert!(names.contains(&DEFAULT_PROFILE));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn gilbert_loss_comes_in_bursts_at_its_mean_rate() {
        let model = Loss::Gilbert { p: 0.02, r: 0.3 };
        let mut process = LossProcess::new(model, 42);
        let lost: Vec<bool> = (0..200_000).map(|_| process.next_lost()).collect();
        let rate = lost.iter().filter(|&&l| l).count() as f64 / lost.len() as f64;
        assert!((rate - model.mean_rate()).abs() < 0.01, "rate {rate}");
        // Mean burst length 1 / r ≈ 3.3 frames: far more than random loss would give.
        let bursts = lost.windows(2).filter(|w| !w[0] && w[1]).count();
        let mean_burst = lost.iter().filter(|&&l| l).count() as f64 / bursts as f64;
        assert!((mean_burst - 1.0 / 0.3).abs() < 0.3, "burst {mean_burst}");
    }

    #[test]
    fn the_same_seed_loses_the_same_frames() {
        let model = Loss::Random { p: 0.1 };
        let a: Vec<bool> = {
            let mut l = LossProcess::new(model, 7);
            (0..1000).map(|_| l.next_lost()).collect()
        };
        let b: Vec<bool> = {
            let mut l = LossProcess::new(model, 7);
            (0..1000).map(|_| l.next_lost()).collect()
        };
        assert_eq!(a, b);
        assert!(a.iter().any(|&x| x) && !a.iter().all(|&x| x));
    }

    #[test]
    fn faults_silence_their_way_in_their_time() {
        let one_way = Fault::OneWay {
            after: Duration::from_secs(2),
            way: Way::Downlink,
        };
        assert!(!one_way.silences(false, Duration::from_secs(1)));
        assert!(one_way.silences(false, Duration::from_secs(3)));
        assert!(!one_way.silences(true, Duration::from_secs(3)));
        let mute = Fault::Mute {
            from: Duration::from_secs(1),
            to: Duration::from_secs(2),
            way: Way::Both,
        };
        assert!(mute.silences(true, Duration::from_millis(1500)));
        assert!(!mute.silences(true, Duration::from_millis(2500)));
    }
}
