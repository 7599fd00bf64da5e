//! Network profiles: what the virtual network does to a call. A profile names the speech
//! codec, the transport delay, packet loss (random or Gilbert–Elliott bursts, concealed by
//! the codec's own concealment), gain, background noise at the talker and faults (a dropped
//! call, one-way audio, muted stretches, audio crossed with another call). Profiles are
//! pure data; the media path and the network apply them. A fault is the lab file's fault
//! entry itself ([`FaultSpec`], from farend-scenario), and so is a loss model ([`Loss`]): one
//! type for what a file says and what the network does.

use std::time::Duration;

use farend_codec::{AmrNbMode, AmrWbMode, CodecSpec, OpusBandwidth, OpusSettings};

pub use farend_scenario::{FaultSpec, FaultWay, LossSpec as Loss, RadioAccess};

/// Whether `fault` silences audio of the way `uplink` (caller → callee) at `elapsed` after
/// the answer.
pub fn silences(fault: &FaultSpec, uplink: bool, elapsed: Duration) -> bool {
    fault.hits(uplink)
        && match *fault {
            FaultSpec::OneWay { after, .. } => elapsed >= after,
            FaultSpec::Mute { from, to, .. } => elapsed >= from && elapsed < to,
            _ => false,
        }
}

/// Whether `fault` crosses the way `uplink` with another call's at `elapsed` after the
/// answer.
pub fn crosses(fault: &FaultSpec, uplink: bool, elapsed: Duration) -> bool {
    matches!(*fault, FaultSpec::Crossed { after, .. } if elapsed >= after) && fault.hits(uplink)
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
    pub faults: Vec<FaultSpec>,
    /// The radio access the handsets on it are registered on.
    pub radio: RadioAccess,
    /// Whether voice goes over IMS (VoLTE, VoNR): the network offers voice over PS and the
    /// handsets' IMS PDN is up; otherwise calls are circuit-switched.
    pub volte: bool,
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
            radio: RadioAccess::Lte,
            volte: true,
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
            faults: vec![FaultSpec::Drop {
                after: Duration::from_secs(6),
            }],
            ..NetworkProfile::clean("dropped-call", CodecSpec::G711ALaw)
        },
        NetworkProfile {
            faults: vec![FaultSpec::OneWay {
                after: Duration::ZERO,
                way: FaultWay::Downlink,
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
        let one_way = FaultSpec::OneWay {
            after: Duration::from_secs(2),
            way: FaultWay::Downlink,
        };
        assert!(!silences(&one_way, false, Duration::from_secs(1)));
        assert!(silences(&one_way, false, Duration::from_secs(3)));
        assert!(!silences(&one_way, true, Duration::from_secs(3)));
        let mute = FaultSpec::Mute {
            from: Duration::from_secs(1),
            to: Duration::from_secs(2),
            way: FaultWay::Both,
        };
        assert!(silences(&mute, true, Duration::from_millis(1500)));
        assert!(!silences(&mute, true, Duration::from_millis(2500)));
        let crossed = FaultSpec::Crossed {
            after: Duration::from_secs(2),
            way: FaultWay::Uplink,
        };
        assert!(crosses(&crossed, true, Duration::from_secs(2)));
        assert!(!crosses(&crossed, false, Duration::from_secs(3)));
        assert!(!crosses(&crossed, true, Duration::from_secs(1)));
        assert!(!silences(&crossed, true, Duration::from_secs(3)));
    }
}
