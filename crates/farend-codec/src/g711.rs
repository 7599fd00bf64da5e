//! ITU-T G.711 A-law and μ-law, written out here (no library needed).
//!
//! Lost frames: G.711 has no concealment of its own (the optional Appendix I PLC is not
//! implemented), so a lost frame decodes to silence, as a plain RTP receiver plays it.

use crate::{Codec, CodecError, CodecSpec, check_frame_len};

/// G.711 A-law codec (one call direction; stateless).
#[derive(Debug, Default, Clone, Copy)]
pub struct G711ALaw;

/// G.711 μ-law codec (one call direction; stateless).
#[derive(Debug, Default, Clone, Copy)]
pub struct G711MuLaw;

impl Codec for G711ALaw {
    fn spec(&self) -> CodecSpec {
        CodecSpec::G711ALaw
    }
    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        check_frame_len(&self.spec(), pcm)?;
        payload.extend(pcm.iter().map(|&s| alaw_encode(s)));
        Ok(())
    }
    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        check_payload(&self.spec(), payload)?;
        pcm.extend(payload.iter().map(|&c| alaw_decode(c)));
        Ok(())
    }
    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        pcm.resize(pcm.len() + self.spec().frame_samples(), 0);
        Ok(())
    }
}

impl Codec for G711MuLaw {
    fn spec(&self) -> CodecSpec {
        CodecSpec::G711MuLaw
    }
    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        check_frame_len(&self.spec(), pcm)?;
        payload.extend(pcm.iter().map(|&s| ulaw_encode(s)));
        Ok(())
    }
    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        check_payload(&self.spec(), payload)?;
        pcm.extend(payload.iter().map(|&c| ulaw_decode(c)));
        Ok(())
    }
    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        pcm.resize(pcm.len() + self.spec().frame_samples(), 0);
        Ok(())
    }
}

/// One byte per sample: a payload of any other length is not a G.711 frame.
fn check_payload(spec: &CodecSpec, payload: &[u8]) -> Result<(), CodecError> {
    if payload.len() == spec.frame_samples() {
        Ok(())
    } else {
        Err(CodecError::Decode {
            codec: spec.name(),
            reason: format!(
                "payload of {} bytes, a 20 ms frame has {}",
                payload.len(),
                spec.frame_samples()
            ),
        })
    }
}

/// Encodes one 16-bit linear sample to A-law (G.711 uses the top 13 bits).
pub fn alaw_encode(pcm: i16) -> u8 {
    let x = i32::from(pcm) >> 3;
    let (sign, mag) = if x >= 0 {
        (0x80u8, x)
    } else {
        (0x00u8, -x - 1)
    };
    let mag = mag.min(4095) as u32;
    let code = if mag < 32 {
        (mag >> 1) as u8
    } else {
        let seg = 31 - mag.leading_zeros() - 4; // 1..=7
        ((seg << 4) | ((mag >> seg) & 0x0f)) as u8
    };
    (sign | code) ^ 0x55
}

/// Decodes one A-law code to a 16-bit linear sample.
pub fn alaw_decode(code: u8) -> i16 {
    let c = code ^ 0x55;
    let seg = u32::from((c >> 4) & 0x07);
    let mant = i32::from(c & 0x0f);
    let mag = if seg == 0 {
        2 * mant + 1
    } else {
        (2 * mant + 33) << (seg - 1)
    };
    let v = mag << 3;
    if c & 0x80 != 0 { v as i16 } else { -v as i16 }
}

/// Encodes one 16-bit linear sample to μ-law (G.711 uses the top 14 bits).
pub fn ulaw_encode(pcm: i16) -> u8 {
    let x = i32::from(pcm) >> 2;
    let (mask, mag) = if x < 0 { (0x7fu8, -x) } else { (0xffu8, x) };
    let biased = (mag.min(8158) + 33) as u32;
    let seg = 31 - biased.leading_zeros() - 5; // 0..=7
    let mant = (biased >> (seg + 1)) & 0x0f;
    (((seg << 4) | mant) as u8) ^ mask
}

/// Decodes one μ-law code to a 16-bit linear sample.
pub fn ulaw_decode(code: u8) -> i16 {
    let c = !code;
    let seg = u32::from((c >> 4) & 0x07);
    let mant = i32::from(c & 0x0f);
    let t = (((mant << 3) + 0x84) << seg) - 0x84;
    if c & 0x80 != 0 { -t as i16 } else { t as i16 }
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
            // 0x7f is μ-law's negative zero, which encodes back as positive zero (0xff).
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

    #[test]
    fn frames_are_checked_and_loss_is_silence() {
        let mut codec = G711ALaw;
        let mut bits = Vec::new();
        assert!(matches!(
            codec.encode(&[0; 80], &mut bits),
            Err(CodecError::FrameLength { .. })
        ));
        assert!(codec.decode(&[0xd5; 10], &mut Vec::new()).is_err());
        let mut pcm = vec![1];
        G711MuLaw.conceal(&mut pcm).unwrap();
        assert_eq!(pcm.len(), 161);
        assert!(pcm[1..].iter().all(|&s| s == 0));
    }
}
