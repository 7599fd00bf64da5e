//! Opus through libopus, bound by the `audiopus` crate (which links Debian's libopus via
//! pkg-config).
//!
//! The encoder runs in the VoIP application mode, mono, at the rate of the configured
//! bandwidth (8 kHz for narrowband … 48 kHz for fullband), with the bandwidth forced, the
//! bit rate set and libopus' defaults otherwise (VBR, complexity). Payloads are single
//! Opus packets of one 20 ms frame, as in RTP (RFC 7587).
//!
//! Lost frames: libopus' own packet loss concealment, by decoding with no packet.

use audiopus::coder::{Decoder, Encoder};
use audiopus::packet::Packet;
use audiopus::{Application, Bandwidth, Bitrate, Channels, MutSignals, SampleRate};

use crate::{Codec, CodecError, CodecSpec, OpusBandwidth, OpusSettings, check_frame_len};

/// Largest Opus packet (RFC 6716 section 3.4, R2).
const MAX_PACKET: usize = 1275;

/// Opus codec for one call direction.
pub struct Opus {
    settings: OpusSettings,
    encoder: Encoder,
    decoder: Decoder,
}

impl Opus {
    /// Creates an encoder/decoder pair with these settings.
    pub fn new(settings: OpusSettings) -> Result<Self, CodecError> {
        let spec = CodecSpec::Opus(settings);
        let (rate, bandwidth) = match settings.bandwidth {
            OpusBandwidth::Narrow => (SampleRate::Hz8000, Bandwidth::Narrowband),
            OpusBandwidth::Medium => (SampleRate::Hz12000, Bandwidth::Mediumband),
            OpusBandwidth::Wide => (SampleRate::Hz16000, Bandwidth::Wideband),
            OpusBandwidth::SuperWide => (SampleRate::Hz24000, Bandwidth::Superwideband),
            OpusBandwidth::Full => (SampleRate::Hz48000, Bandwidth::Fullband),
        };
        let init = |what| {
            move |_| CodecError::Init {
                library: "libopus",
                what,
            }
        };
        let mut encoder =
            Encoder::new(rate, Channels::Mono, Application::Voip).map_err(init("encoder"))?;
        let bitrate = i32::try_from(settings.bitrate_bps).unwrap_or(i32::MAX);
        encoder
            .set_bitrate(Bitrate::BitsPerSecond(bitrate))
            .and_then(|()| encoder.set_bandwidth(bandwidth))
            .map_err(|e| CodecError::InvalidParameter {
                codec: "Opus",
                value: format!("{spec} ({e})"),
                expected: "a bit rate from 6k to 510k",
            })?;
        let decoder = Decoder::new(rate, Channels::Mono).map_err(init("decoder"))?;
        Ok(Opus {
            settings,
            encoder,
            decoder,
        })
    }

    /// Decodes `packet` (or conceals a lost one when `None`) into exactly one frame.
    fn decode_frame(
        &mut self,
        packet: Option<Packet<'_>>,
        pcm: &mut Vec<i16>,
    ) -> Result<(), CodecError> {
        let frame = self.spec().frame_samples();
        let start = pcm.len();
        pcm.resize(start + frame, 0);
        let result = MutSignals::try_from(&mut pcm[start..])
            .and_then(|out| self.decoder.decode(packet, out, false));
        match result {
            Ok(n) if n == frame => Ok(()),
            Ok(n) => {
                pcm.truncate(start);
                Err(self.decode_error(format!("packet held {n} samples, not one 20 ms frame")))
            }
            Err(e) => {
                pcm.truncate(start);
                Err(self.decode_error(e.to_string()))
            }
        }
    }

    fn decode_error(&self, reason: String) -> CodecError {
        CodecError::Decode {
            codec: self.spec().name(),
            reason,
        }
    }
}

impl Codec for Opus {
    fn spec(&self) -> CodecSpec {
        CodecSpec::Opus(self.settings)
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        check_frame_len(&self.spec(), pcm)?;
        let mut packet = [0u8; MAX_PACKET];
        let n = self
            .encoder
            .encode(pcm, &mut packet)
            .map_err(|e| CodecError::Encode {
                codec: self.spec().name(),
                reason: e.to_string(),
            })?;
        payload.extend_from_slice(&packet[..n]);
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        let packet = Packet::try_from(payload).map_err(|e| self.decode_error(e.to_string()))?;
        self.decode_frame(Some(packet), pcm)
    }

    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        self.decode_frame(None, pcm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_delay_is_libopus_lookahead() {
        for bandwidth in OpusBandwidth::ALL {
            let settings = OpusSettings {
                bandwidth,
                bitrate_bps: 24_000,
            };
            let opus = Opus::new(settings).unwrap();
            let lookahead = opus.encoder.lookahead().unwrap() as usize;
            assert_eq!(
                CodecSpec::Opus(settings).algorithmic_delay(),
                lookahead,
                "{bandwidth:?}"
            );
        }
    }

    #[test]
    fn bad_packets_are_errors() {
        let mut opus = Opus::new(OpusSettings::default()).unwrap();
        let mut pcm = Vec::new();
        assert!(matches!(
            opus.decode(&[], &mut pcm),
            Err(CodecError::Decode { .. })
        ));
        // A code-3 packet claiming 48 frames of 20 ms: far more than one frame.
        assert!(opus.decode(&[0x0b, 0x30], &mut pcm).is_err());
        assert!(pcm.is_empty());
    }
}
