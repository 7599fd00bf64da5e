//! Speech codecs of the virtual network: ITU-T G.711 A-law and μ-law.
//!
//! Codecs run at 8 kHz on 16-bit linear PCM, one frame at a time. The codecs themselves
//! (and the G.711 companding rules) live in farend-codec; this module adapts them to the
//! network's frame interface.

pub use farend_codec::g711::{
    G711ALaw, G711MuLaw, alaw_decode, alaw_encode, ulaw_decode, ulaw_encode,
};

/// A speech codec: encodes and decodes one frame of 8 kHz linear PCM.
pub trait Codec: Send {
    /// Codec name as a telephony engineer would write it (e.g. `G.711 A-law`).
    fn name(&self) -> &'static str;
    /// Encodes one frame of linear PCM into the codec's bitstream.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>);
    /// Decodes one frame of bitstream into linear PCM.
    fn decode(&mut self, bits: &[u8], out: &mut Vec<i16>);
}

/// Codecs the virtual network offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodecKind {
    /// ITU-T G.711 A-law (PCMA), the European default.
    #[default]
    G711ALaw,
    /// ITU-T G.711 μ-law (PCMU).
    G711MuLaw,
}

impl CodecKind {
    /// Creates a fresh codec instance of this kind.
    pub fn instantiate(self) -> Box<dyn Codec> {
        match self {
            CodecKind::G711ALaw => Box::new(G711ALaw),
            CodecKind::G711MuLaw => Box::new(G711MuLaw),
        }
    }

    /// Short name, as used in SDP (`PCMA`, `PCMU`).
    pub fn sdp_name(self) -> &'static str {
        match self {
            CodecKind::G711ALaw => "PCMA",
            CodecKind::G711MuLaw => "PCMU",
        }
    }

    /// The same codec as farend-codec names it.
    pub fn spec(self) -> farend_codec::CodecSpec {
        match self {
            CodecKind::G711ALaw => farend_codec::CodecSpec::G711ALaw,
            CodecKind::G711MuLaw => farend_codec::CodecSpec::G711MuLaw,
        }
    }
}

impl Codec for G711ALaw {
    fn name(&self) -> &'static str {
        "G.711 A-law"
    }
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.extend(pcm.iter().map(|&s| alaw_encode(s)));
    }
    fn decode(&mut self, bits: &[u8], out: &mut Vec<i16>) {
        out.extend(bits.iter().map(|&c| alaw_decode(c)));
    }
}

impl Codec for G711MuLaw {
    fn name(&self) -> &'static str {
        "G.711 mu-law"
    }
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.extend(pcm.iter().map(|&s| ulaw_encode(s)));
    }
    fn decode(&mut self, bits: &[u8], out: &mut Vec<i16>) {
        out.extend(bits.iter().map(|&c| ulaw_decode(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alaw_known_values() {
        assert_eq!(alaw_encode(0), 0xd5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_decode(0xd5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xaa), 32256);
        assert_eq!(alaw_decode(0x2a), -32256);
        assert_eq!(alaw_encode(i16::MAX), 0xaa);
        assert_eq!(alaw_encode(i16::MIN), 0x2a);
        assert_eq!(alaw_encode(1000), 0xfa);
        assert_eq!(alaw_decode(0xfa), 1008);
    }

    #[test]
    fn ulaw_known_values() {
        assert_eq!(ulaw_encode(0), 0xff);
        assert_eq!(ulaw_decode(0xff), 0);
        assert_eq!(ulaw_decode(0x7f), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_encode(1000), 0xce);
        assert_eq!(ulaw_decode(0xce), 988);
    }

    #[test]
    fn every_code_round_trips() {
        for c in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(c)), c, "A-law {c:#04x}");
            if c != 0x7f {
                assert_eq!(ulaw_encode(ulaw_decode(c)), c, "mu-law {c:#04x}");
            }
        }
    }

    #[test]
    fn quantisation_error_is_bounded_and_monotonic() {
        let mut last_a = i16::MIN;
        let mut last_u = i16::MIN;
        for x in (i16::MIN..=i16::MAX).step_by(7) {
            let a = alaw_decode(alaw_encode(x));
            let u = ulaw_decode(ulaw_encode(x));
            assert!(a >= last_a && u >= last_u, "non-monotonic at {x}");
            last_a = a;
            last_u = u;
            let tol = (i32::from(x).abs() / 16).max(16);
            assert!(
                (i32::from(a) - i32::from(x)).abs() <= tol + 8,
                "A-law {x} -> {a}"
            );
            assert!(
                (i32::from(u) - i32::from(x)).abs() <= tol + 8,
                "mu-law {x} -> {u}"
            );
        }
    }
}
