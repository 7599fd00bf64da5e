//! Naming a codec and its mode: parsing, sample rate, frame length, delay, report names.

use std::fmt;
use std::str::FromStr;

use crate::CodecError;

/// Length of every codec frame this crate handles, in milliseconds.
pub const FRAME_MS: u32 = 20;

/// A codec together with its mode: everything needed to build an encoder/decoder pair.
///
/// Parsed from strings such as `g711a`, `pcmu`, `amr-nb:4.75`, `amr-wb:23.85`, `gsm-fr`,
/// `opus:wb:24k`; [`fmt::Display`] writes the canonical form back. The list is open
/// (`non_exhaustive`): EVS, for one, has no open implementation packaged yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecSpec {
    /// ITU-T G.711 A-law (PCMA), 8 kHz.
    G711ALaw,
    /// ITU-T G.711 μ-law (PCMU), 8 kHz.
    G711MuLaw,
    /// ITU-T G.722 sub-band ADPCM at 64 kbit/s, 16 kHz.
    G722,
    /// 3GPP AMR narrowband, 8 kHz, in one of its eight modes.
    AmrNb(AmrNbMode),
    /// 3GPP AMR wideband (ITU-T G.722.2), 16 kHz, in one of its nine modes.
    AmrWb(AmrWbMode),
    /// ETSI GSM 06.10 full rate (13 kbit/s RPE-LTP), 8 kHz.
    GsmFr,
    /// IETF Opus (RFC 6716) at a bitrate and audio bandwidth.
    Opus(OpusSettings),
}

/// The eight AMR-NB speech modes (3GPP TS 26.071), slowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AmrNbMode {
    /// 4.75 kbit/s.
    Mr475,
    /// 5.15 kbit/s.
    Mr515,
    /// 5.90 kbit/s.
    Mr59,
    /// 6.70 kbit/s.
    Mr67,
    /// 7.40 kbit/s.
    Mr74,
    /// 7.95 kbit/s.
    Mr795,
    /// 10.2 kbit/s.
    Mr102,
    /// 12.2 kbit/s (GSM-EFR compatible).
    Mr122,
}

impl AmrNbMode {
    /// All modes, slowest first.
    pub const ALL: [AmrNbMode; 8] = [
        AmrNbMode::Mr475,
        AmrNbMode::Mr515,
        AmrNbMode::Mr59,
        AmrNbMode::Mr67,
        AmrNbMode::Mr74,
        AmrNbMode::Mr795,
        AmrNbMode::Mr102,
        AmrNbMode::Mr122,
    ];

    /// Mode index as in the AMR frame type field (0 = 4.75 … 7 = 12.2).
    pub fn index(self) -> u8 {
        self as u8
    }

    /// Bit rate in bit/s.
    pub fn bitrate_bps(self) -> u32 {
        [4750, 5150, 5900, 6700, 7400, 7950, 10200, 12200][self as usize]
    }

    /// Mode as written in specifications (`12.2`, `4.75`).
    pub fn label(self) -> &'static str {
        [
            "4.75", "5.15", "5.90", "6.70", "7.40", "7.95", "10.2", "12.2",
        ][self as usize]
    }
}

/// The nine AMR-WB speech modes (3GPP TS 26.171), slowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AmrWbMode {
    /// 6.60 kbit/s.
    Md660,
    /// 8.85 kbit/s.
    Md885,
    /// 12.65 kbit/s (the common VoLTE/HD-voice mode).
    Md1265,
    /// 14.25 kbit/s.
    Md1425,
    /// 15.85 kbit/s.
    Md1585,
    /// 18.25 kbit/s.
    Md1825,
    /// 19.85 kbit/s.
    Md1985,
    /// 23.05 kbit/s.
    Md2305,
    /// 23.85 kbit/s.
    Md2385,
}

impl AmrWbMode {
    /// All modes, slowest first.
    pub const ALL: [AmrWbMode; 9] = [
        AmrWbMode::Md660,
        AmrWbMode::Md885,
        AmrWbMode::Md1265,
        AmrWbMode::Md1425,
        AmrWbMode::Md1585,
        AmrWbMode::Md1825,
        AmrWbMode::Md1985,
        AmrWbMode::Md2305,
        AmrWbMode::Md2385,
    ];

    /// Mode index as in the AMR-WB frame type field (0 = 6.60 … 8 = 23.85).
    pub fn index(self) -> u8 {
        self as u8
    }

    /// Bit rate in bit/s.
    pub fn bitrate_bps(self) -> u32 {
        [6600, 8850, 12650, 14250, 15850, 18250, 19850, 23050, 23850][self as usize]
    }

    /// Mode as written in specifications (`12.65`, `6.60`).
    pub fn label(self) -> &'static str {
        [
            "6.60", "8.85", "12.65", "14.25", "15.85", "18.25", "19.85", "23.05", "23.85",
        ][self as usize]
    }
}

/// Audio bandwidth of an Opus stream; it also fixes the rate the codec runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpusBandwidth {
    /// 4 kHz audio bandwidth, runs at 8 kHz.
    Narrow,
    /// 6 kHz audio bandwidth, runs at 12 kHz.
    Medium,
    /// 8 kHz audio bandwidth, runs at 16 kHz.
    Wide,
    /// 12 kHz audio bandwidth, runs at 24 kHz.
    SuperWide,
    /// 20 kHz audio bandwidth, runs at 48 kHz.
    Full,
}

impl OpusBandwidth {
    /// All bandwidths, narrowest first.
    pub const ALL: [OpusBandwidth; 5] = [
        OpusBandwidth::Narrow,
        OpusBandwidth::Medium,
        OpusBandwidth::Wide,
        OpusBandwidth::SuperWide,
        OpusBandwidth::Full,
    ];

    /// Sample rate the encoder and decoder run at for this bandwidth.
    pub fn sample_rate(self) -> u32 {
        [8000, 12000, 16000, 24000, 48000][self as usize]
    }

    /// Short name as in the Opus specification (`nb`, `mb`, `wb`, `swb`, `fb`).
    pub fn short_name(self) -> &'static str {
        ["nb", "mb", "wb", "swb", "fb"][self as usize]
    }
}

/// Opus encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpusSettings {
    /// Audio bandwidth the encoder is held to (and the rate it runs at).
    pub bandwidth: OpusBandwidth,
    /// Target bit rate in bit/s (6000 ..= 510000).
    pub bitrate_bps: u32,
}

impl OpusSettings {
    /// Lowest bit rate libopus accepts.
    pub const MIN_BITRATE: u32 = 6000;
    /// Highest bit rate libopus accepts.
    pub const MAX_BITRATE: u32 = 510_000;
}

impl Default for OpusSettings {
    fn default() -> Self {
        OpusSettings {
            bandwidth: OpusBandwidth::Wide,
            bitrate_bps: 24_000,
        }
    }
}

impl CodecSpec {
    /// Every codec in every mode (Opus at each bandwidth with a typical bit rate).
    pub fn catalogue() -> Vec<CodecSpec> {
        let mut all = vec![
            CodecSpec::G711ALaw,
            CodecSpec::G711MuLaw,
            CodecSpec::G722,
            CodecSpec::GsmFr,
        ];
        all.extend(AmrNbMode::ALL.map(CodecSpec::AmrNb));
        all.extend(AmrWbMode::ALL.map(CodecSpec::AmrWb));
        for (bandwidth, bitrate_bps) in OpusBandwidth::ALL
            .into_iter()
            .zip([12_000, 16_000, 24_000, 32_000, 48_000])
        {
            all.push(CodecSpec::Opus(OpusSettings {
                bandwidth,
                bitrate_bps,
            }));
        }
        all
    }

    /// Sample rate of the linear PCM the codec takes and gives, in Hz.
    pub fn sample_rate(&self) -> u32 {
        match self {
            CodecSpec::G711ALaw | CodecSpec::G711MuLaw | CodecSpec::AmrNb(_) | CodecSpec::GsmFr => {
                8000
            }
            CodecSpec::AmrWb(_) | CodecSpec::G722 => 16000,
            CodecSpec::Opus(o) => o.bandwidth.sample_rate(),
        }
    }

    /// Samples in one 20 ms frame at [`Self::sample_rate`].
    pub fn frame_samples(&self) -> usize {
        (self.sample_rate() * FRAME_MS / 1000) as usize
    }

    /// Algorithmic delay in samples at [`Self::sample_rate`]: how far the decoded signal
    /// lags the input when frames are encoded and decoded one after the other as soon as
    /// each is complete. It is the codec's look-ahead (plus, for AMR-WB, its 12.8 kHz
    /// resampling filters); the frame itself adds [`Self::frame_samples`] on top in a real
    /// network, which buffers a whole frame before encoding it.
    pub fn algorithmic_delay(&self) -> usize {
        match self {
            // Sample-by-sample companding: nothing to wait for.
            CodecSpec::G711ALaw | CodecSpec::G711MuLaw => 0,
            // The 24-tap QMF analysis and synthesis filters: 22 samples at 16 kHz, as
            // tests/delay.rs measures on speech.
            CodecSpec::G722 => 22,
            // RPE-LTP analyses the current frame only.
            CodecSpec::GsmFr => 0,
            // 5 ms of look-ahead for the LP analysis window, in every mode.
            CodecSpec::AmrNb(_) => 40,
            // 5 ms look-ahead plus 0.9375 ms of the 16 kHz <-> 12.8 kHz resampling filters:
            // TS 26.171's 25.9375 ms algorithmic delay less the 20 ms frame.
            CodecSpec::AmrWb(_) => 95,
            // libopus: 2.5 ms CELT overlap + 4 ms delay compensation (OPUS_GET_LOOKAHEAD).
            CodecSpec::Opus(o) => (o.bandwidth.sample_rate() * 13 / 2000) as usize,
        }
    }

    /// Name for reports, as a telephony engineer writes it (`AMR-WB 12.65 kbit/s`).
    pub fn name(&self) -> String {
        match self {
            CodecSpec::G711ALaw => "G.711 A-law".to_owned(),
            CodecSpec::G711MuLaw => "G.711 μ-law".to_owned(),
            CodecSpec::G722 => "G.722 64 kbit/s".to_owned(),
            CodecSpec::AmrNb(m) => format!("AMR-NB {} kbit/s", m.label()),
            CodecSpec::AmrWb(m) => format!("AMR-WB {} kbit/s", m.label()),
            CodecSpec::GsmFr => "GSM-FR".to_owned(),
            CodecSpec::Opus(o) => format!(
                "Opus {} {} kbit/s",
                o.bandwidth.short_name().to_uppercase(),
                kbps(o.bitrate_bps)
            ),
        }
    }

    /// Encoding name as registered for RTP/SDP (`PCMA`, `AMR-WB`, `opus`).
    pub fn rtp_name(&self) -> &'static str {
        match self {
            CodecSpec::G711ALaw => "PCMA",
            CodecSpec::G711MuLaw => "PCMU",
            CodecSpec::G722 => "G722",
            CodecSpec::AmrNb(_) => "AMR",
            CodecSpec::AmrWb(_) => "AMR-WB",
            CodecSpec::GsmFr => "GSM",
            CodecSpec::Opus(_) => "opus",
        }
    }
}

/// Bit rate in kbit/s without trailing zeros (`24`, `12.65`).
fn kbps(bps: u32) -> String {
    let s = format!("{}.{:03}", bps / 1000, bps % 1000);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl fmt::Display for CodecSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecSpec::G711ALaw => f.write_str("g711a"),
            CodecSpec::G711MuLaw => f.write_str("g711u"),
            CodecSpec::G722 => f.write_str("g722"),
            CodecSpec::AmrNb(m) => write!(f, "amr-nb:{}", m.label()),
            CodecSpec::AmrWb(m) => write!(f, "amr-wb:{}", m.label()),
            CodecSpec::GsmFr => f.write_str("gsm-fr"),
            CodecSpec::Opus(o) => write!(
                f,
                "opus:{}:{}k",
                o.bandwidth.short_name(),
                kbps(o.bitrate_bps)
            ),
        }
    }
}

impl FromStr for CodecSpec {
    type Err = CodecError;

    /// Parses `name[:parameter[:parameter]]`, case-insensitively. Names: `g711a`/`pcma`,
    /// `g711u`/`pcmu`, `g722`, `amr-nb`/`amr` (mode in kbit/s, default 12.2), `amr-wb` (default
    /// 12.65), `gsm-fr`/`gsm`, `opus` (bandwidth `nb`…`fb` and bit rate `24k`/`24000`
    /// in any order; default `wb`, 24 kbit/s).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_lowercase();
        let mut parts = lower.split(':');
        let name = parts.next().unwrap_or_default();
        let params: Vec<&str> = parts.collect();
        let no_params = |spec: CodecSpec, codec: &'static str| match params.first() {
            None => Ok(spec),
            Some(p) => Err(CodecError::InvalidParameter {
                codec,
                value: (*p).to_owned(),
                expected: "no parameter (the codec has a single mode)",
            }),
        };
        match name {
            "g711a" | "pcma" | "alaw" | "a-law" | "g711-alaw" => {
                no_params(CodecSpec::G711ALaw, "G.711 A-law")
            }
            "g711u" | "g711mu" | "pcmu" | "ulaw" | "mulaw" | "μ-law" | "g711-ulaw" => {
                no_params(CodecSpec::G711MuLaw, "G.711 μ-law")
            }
            "g722" | "g.722" => no_params(CodecSpec::G722, "G.722"),
            "gsm-fr" | "gsm" | "gsmfr" | "gsm-06.10" => no_params(CodecSpec::GsmFr, "GSM-FR"),
            "amr-nb" | "amr" | "amrnb" => {
                let mode = match single(&params, "AMR-NB")? {
                    None => AmrNbMode::Mr122,
                    Some(p) => parse_amr_nb(p)?,
                };
                Ok(CodecSpec::AmrNb(mode))
            }
            "amr-wb" | "amrwb" | "g722.2" => {
                let mode = match single(&params, "AMR-WB")? {
                    None => AmrWbMode::Md1265,
                    Some(p) => parse_amr_wb(p)?,
                };
                Ok(CodecSpec::AmrWb(mode))
            }
            "opus" => parse_opus(&params).map(CodecSpec::Opus),
            _ => Err(CodecError::UnknownCodec(s.trim().to_owned())),
        }
    }
}

fn single<'a>(params: &[&'a str], codec: &'static str) -> Result<Option<&'a str>, CodecError> {
    match params {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        [_, extra, ..] => Err(CodecError::InvalidParameter {
            codec,
            value: (*extra).to_owned(),
            expected: "a single mode",
        }),
    }
}

/// Reads a bit rate written as `12.2`, `12.2k`, `12.2kbps`, `12.2kbit/s` (kbit/s) or
/// `12200` (bit/s) into bit/s.
fn parse_bitrate(text: &str) -> Option<u32> {
    let digits = text
        .trim_end_matches("kbit/s")
        .trim_end_matches("kbps")
        .trim_end_matches('k');
    let value: f64 = digits.parse().ok()?;
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    let bps = if value < 1000.0 {
        value * 1000.0
    } else {
        value
    };
    Some(bps.round() as u32)
}

fn parse_amr_nb(text: &str) -> Result<AmrNbMode, CodecError> {
    // 3GPP's own names for the modes (MR475 ... MR122) as well as bit rates.
    const MR_NAMES: [&str; 8] = [
        "mr475", "mr515", "mr59", "mr67", "mr74", "mr795", "mr102", "mr122",
    ];
    let bps = parse_bitrate(text);
    AmrNbMode::ALL
        .into_iter()
        .find(|m| MR_NAMES[m.index() as usize] == text || Some(m.bitrate_bps()) == bps)
        .ok_or_else(|| CodecError::InvalidParameter {
            codec: "AMR-NB",
            value: text.to_owned(),
            expected: "a mode in kbit/s: 4.75, 5.15, 5.90, 6.70, 7.40, 7.95, 10.2 or 12.2",
        })
}

fn parse_amr_wb(text: &str) -> Result<AmrWbMode, CodecError> {
    let bps = parse_bitrate(text);
    AmrWbMode::ALL
        .into_iter()
        .find(|m| Some(m.bitrate_bps()) == bps)
        .ok_or_else(|| CodecError::InvalidParameter {
            codec: "AMR-WB",
            value: text.to_owned(),
            expected: "a mode in kbit/s: 6.60, 8.85, 12.65, 14.25, 15.85, 18.25, 19.85, 23.05 or 23.85",
        })
}

fn parse_opus(params: &[&str]) -> Result<OpusSettings, CodecError> {
    let mut settings = OpusSettings::default();
    for &p in params {
        if let Some(bw) = OpusBandwidth::ALL.into_iter().find(|b| b.short_name() == p) {
            settings.bandwidth = bw;
        } else if let Some(bps) = parse_bitrate(p)
            .filter(|b| (OpusSettings::MIN_BITRATE..=OpusSettings::MAX_BITRATE).contains(b))
        {
            settings.bitrate_bps = bps;
        } else {
            return Err(CodecError::InvalidParameter {
                codec: "Opus",
                value: p.to_owned(),
                expected: "a bandwidth (nb, mb, wb, swb, fb) or a bit rate from 6k to 510k",
            });
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_modes() {
        let cases = [
            ("g711a", CodecSpec::G711ALaw),
            ("PCMA", CodecSpec::G711ALaw),
            ("g711u", CodecSpec::G711MuLaw),
            ("pcmu", CodecSpec::G711MuLaw),
            ("gsm-fr", CodecSpec::GsmFr),
            ("amr-nb", CodecSpec::AmrNb(AmrNbMode::Mr122)),
            ("amr-nb:4.75", CodecSpec::AmrNb(AmrNbMode::Mr475)),
            ("AMR-NB:5.9", CodecSpec::AmrNb(AmrNbMode::Mr59)),
            ("amr-nb:MR795", CodecSpec::AmrNb(AmrNbMode::Mr795)),
            ("amr-nb:10.2kbps", CodecSpec::AmrNb(AmrNbMode::Mr102)),
            ("amr-wb", CodecSpec::AmrWb(AmrWbMode::Md1265)),
            ("amr-wb:6.6", CodecSpec::AmrWb(AmrWbMode::Md660)),
            ("amr-wb:23.85", CodecSpec::AmrWb(AmrWbMode::Md2385)),
            ("amr-wb:23850", CodecSpec::AmrWb(AmrWbMode::Md2385)),
            ("opus", CodecSpec::Opus(OpusSettings::default())),
            (
                "opus:fb:64k",
                CodecSpec::Opus(OpusSettings {
                    bandwidth: OpusBandwidth::Full,
                    bitrate_bps: 64_000,
                }),
            ),
            (
                "opus:12000:nb",
                CodecSpec::Opus(OpusSettings {
                    bandwidth: OpusBandwidth::Narrow,
                    bitrate_bps: 12_000,
                }),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<CodecSpec>(), Ok(want), "{text}");
        }
    }

    #[test]
    fn display_round_trips_through_parse() {
        for spec in CodecSpec::catalogue() {
            let text = spec.to_string();
            assert_eq!(text.parse::<CodecSpec>(), Ok(spec), "{text}");
        }
    }

    #[test]
    fn rejects_bad_names_and_modes() {
        assert!(matches!(
            "g729".parse::<CodecSpec>(),
            Err(CodecError::UnknownCodec(_))
        ));
        for bad in [
            "amr-nb:12.65",
            "amr-wb:12.2",
            "opus:vhf",
            "opus:1k",
            "g711a:64",
            "amr-nb:1:2",
        ] {
            assert!(
                matches!(
                    bad.parse::<CodecSpec>(),
                    Err(CodecError::InvalidParameter { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn rates_frames_and_names() {
        let wb: CodecSpec = "amr-wb:12.65".parse().unwrap();
        assert_eq!((wb.sample_rate(), wb.frame_samples()), (16000, 320));
        assert_eq!(wb.name(), "AMR-WB 12.65 kbit/s");
        let fb: CodecSpec = "opus:fb:32k".parse().unwrap();
        assert_eq!((fb.sample_rate(), fb.frame_samples()), (48000, 960));
        assert_eq!(fb.name(), "Opus FB 32 kbit/s");
        assert_eq!(CodecSpec::GsmFr.frame_samples(), 160);
        let g722: CodecSpec = "G722".parse().unwrap();
        assert_eq!((g722.sample_rate(), g722.frame_samples()), (16000, 320));
        assert_eq!(
            (g722.to_string(), g722.rtp_name()),
            ("g722".to_owned(), "G722")
        );
        assert!("g722:56".parse::<CodecSpec>().is_err());
        assert_eq!(CodecSpec::catalogue().len(), 4 + 8 + 9 + 5);
    }
}
