//! GSM 06.10 full rate through libgsm.
//!
//! Payloads are libgsm's 33-byte frames (as in RTP, RFC 3551, and `.gsm` files).
//!
//! Lost frames: libgsm has no bad-frame input, so concealment follows the substitution
//! and muting of GSM 06.11 in its simplest form: the last good frame is decoded again
//! (keeping the decoder's memory continuous), at full level for the first lost frame and
//! 6 dB lower for each further one; after 16 lost frames in a row (320 ms) the output is
//! silent. Before any good frame has arrived a lost frame is silence.

use crate::ffi::gsm::{FRAME_BYTES, GsmState, SAMPLES};
use crate::{Codec, CodecError, CodecSpec, frame_array, payload_array};

/// Consecutive lost frames after which concealment gives way to silence.
const MUTE_AFTER: u32 = 16;

/// GSM-FR codec for one call direction.
pub struct GsmFr {
    encoder: GsmState,
    decoder: GsmState,
    last_good: Option<[u8; FRAME_BYTES]>,
    lost_in_a_row: u32,
}

impl GsmFr {
    /// Creates an encoder/decoder pair.
    pub fn new() -> Result<Self, CodecError> {
        let init = |what| CodecError::Init {
            library: "libgsm",
            what,
        };
        Ok(GsmFr {
            encoder: GsmState::new().ok_or_else(|| init("encoder"))?,
            decoder: GsmState::new().ok_or_else(|| init("decoder"))?,
            last_good: None,
            lost_in_a_row: 0,
        })
    }
}

impl Codec for GsmFr {
    fn spec(&self) -> CodecSpec {
        CodecSpec::GsmFr
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        let speech: &[i16; SAMPLES] = frame_array(&self.spec(), pcm)?;
        let mut frame = [0u8; FRAME_BYTES];
        self.encoder.encode(speech, &mut frame);
        payload.extend_from_slice(&frame);
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        let frame: [u8; FRAME_BYTES] = *payload_array(&self.spec(), payload)?;
        let mut speech = [0i16; SAMPLES];
        if !self.decoder.decode(&frame, &mut speech) {
            return Err(CodecError::Decode {
                codec: self.spec().name(),
                reason: "frame lacks the GSM signature nibble 0xD".to_owned(),
            });
        }
        self.last_good = Some(frame);
        self.lost_in_a_row = 0;
        pcm.extend_from_slice(&speech);
        Ok(())
    }

    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        self.lost_in_a_row += 1;
        let mut speech = [0i16; SAMPLES];
        if let Some(frame) = self.last_good
            && self.lost_in_a_row <= MUTE_AFTER
        {
            self.decoder.decode(&frame, &mut speech);
            let divisor = 1i32 << (self.lost_in_a_row - 1);
            for s in &mut speech {
                // Division rounds towards zero, so the tail decays to 0 rather than -1.
                *s = (i32::from(*s) / divisor) as i16;
            }
        }
        pcm.extend_from_slice(&speech);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_33_bytes_with_the_signature() {
        let mut codec = GsmFr::new().unwrap();
        let mut payload = Vec::new();
        codec.encode(&[100; SAMPLES], &mut payload).unwrap();
        assert_eq!(payload.len(), FRAME_BYTES);
        assert_eq!(payload[0] >> 4, 0xd);
        let mut pcm = Vec::new();
        codec.decode(&payload, &mut pcm).unwrap();
        assert_eq!(pcm.len(), SAMPLES);
        assert!(codec.decode(&payload[..32], &mut pcm).is_err());
        assert!(codec.decode(&[0u8; FRAME_BYTES], &mut pcm).is_err());
    }

    #[test]
    fn concealment_repeats_then_fades_to_silence() {
        let mut codec = GsmFr::new().unwrap();
        let speechlike: Vec<i16> = (0..SAMPLES)
            .map(|n| (4000.0 * (n as f64 * 0.2).sin()) as i16)
            .collect();
        let mut pcm = Vec::new();
        for _ in 0..5 {
            let mut payload = Vec::new();
            codec.encode(&speechlike, &mut payload).unwrap();
            codec.decode(&payload, &mut pcm).unwrap();
        }
        let level = |frame: &[i16]| frame.iter().map(|&s| i64::from(s).pow(2)).sum::<i64>();
        let mut levels = Vec::new();
        for _ in 0..MUTE_AFTER + 1 {
            let mut frame = Vec::new();
            codec.conceal(&mut frame).unwrap();
            levels.push(level(&frame));
        }
        assert!(levels[0] > 0);
        // 6 dB per lost frame: each concealed frame has at most a third of the previous
        // one's energy while there is any to speak of.
        assert!(
            levels[..8].windows(2).all(|w| w[1] * 3 <= w[0]),
            "{levels:?}"
        );
        assert_eq!(levels[MUTE_AFTER as usize], 0);
    }
}
