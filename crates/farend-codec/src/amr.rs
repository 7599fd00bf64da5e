//! AMR-NB (opencore-amrnb) and AMR-WB (vo-amrwbenc encoder, opencore-amrwb decoder).
//!
//! Payloads are frames in the AMR storage format of RFC 4867 section 5 (the frames of an
//! `.amr`/`.awb` file): a table-of-contents byte, then the speech bits. The encoders run
//! without DTX, so every frame is a speech frame of the configured mode.
//!
//! Lost frames: the decoder is given a NO_DATA frame (frame type 15) flagged bad. Outside
//! a DTX period the 3GPP decoders treat that as a lost speech frame and run their own
//! error concealment (TS 26.091 for AMR-NB, TS 26.191 for AMR-WB): the last good
//! parameters are repeated with growing attenuation, so speech fades out over a run of
//! lost frames instead of stopping. AMR-WB mutes much faster than AMR-NB: on speech the
//! first concealed frame is about 7 dB below the clean decode, the third 40 dB or more.

use crate::ffi::amr::{
    FRAME_BUFFER, NB_SAMPLES, NbDecoder, NbEncoder, WB_SAMPLES, WbDecoder, WbEncoder,
};
use crate::{AmrNbMode, AmrWbMode, Codec, CodecError, CodecSpec, frame_array};

/// Frame type 15 with the quality bit set: "no data" (nothing received this frame).
const NO_DATA: u8 = (15 << 3) | 0x04;

/// Frame lengths in bytes, ToC byte included, of AMR-NB frame types 0..=8 (8 is SID).
const NB_FRAME_BYTES: [usize; 9] = [13, 14, 16, 18, 20, 21, 27, 32, 6];
/// Frame lengths in bytes, ToC byte included, of AMR-WB frame types 0..=9 (9 is SID).
const WB_FRAME_BYTES: [usize; 10] = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6];

/// AMR-NB codec for one call direction (encoder and decoder state).
pub struct AmrNb {
    mode: AmrNbMode,
    encoder: NbEncoder,
    decoder: NbDecoder,
}

impl AmrNb {
    /// Creates an encoder/decoder pair coding in `mode`.
    pub fn new(mode: AmrNbMode) -> Result<Self, CodecError> {
        let init = |what| CodecError::Init {
            library: "opencore-amrnb",
            what,
        };
        Ok(AmrNb {
            mode,
            encoder: NbEncoder::new().ok_or_else(|| init("encoder"))?,
            decoder: NbDecoder::new().ok_or_else(|| init("decoder"))?,
        })
    }
}

impl Codec for AmrNb {
    fn spec(&self) -> CodecSpec {
        CodecSpec::AmrNb(self.mode)
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        let speech: &[i16; NB_SAMPLES] = frame_array(&self.spec(), pcm)?;
        let mut out = [0u8; FRAME_BUFFER];
        let n = self.encoder.encode(self.mode.index(), speech, &mut out);
        if n == 0 {
            return Err(CodecError::Encode {
                codec: self.spec().name(),
                reason: "opencore-amrnb produced no frame".to_owned(),
            });
        }
        payload.extend_from_slice(&out[..n]);
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        let frame = storage_frame(&self.spec(), payload, &NB_FRAME_BYTES)?;
        let mut speech = [0i16; NB_SAMPLES];
        self.decoder.decode(&frame, false, &mut speech);
        pcm.extend_from_slice(&speech);
        Ok(())
    }

    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        let mut frame = [0u8; FRAME_BUFFER];
        frame[0] = NO_DATA;
        let mut speech = [0i16; NB_SAMPLES];
        self.decoder.decode(&frame, true, &mut speech);
        pcm.extend_from_slice(&speech);
        Ok(())
    }
}

/// AMR-WB codec for one call direction (encoder and decoder state).
pub struct AmrWb {
    mode: AmrWbMode,
    encoder: WbEncoder,
    decoder: WbDecoder,
}

impl AmrWb {
    /// Creates an encoder/decoder pair coding in `mode`.
    pub fn new(mode: AmrWbMode) -> Result<Self, CodecError> {
        Ok(AmrWb {
            mode,
            encoder: WbEncoder::new().ok_or(CodecError::Init {
                library: "vo-amrwbenc",
                what: "encoder",
            })?,
            decoder: WbDecoder::new().ok_or(CodecError::Init {
                library: "opencore-amrwb",
                what: "decoder",
            })?,
        })
    }
}

impl Codec for AmrWb {
    fn spec(&self) -> CodecSpec {
        CodecSpec::AmrWb(self.mode)
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        let speech: &[i16; WB_SAMPLES] = frame_array(&self.spec(), pcm)?;
        let mut out = [0u8; FRAME_BUFFER];
        let n = self.encoder.encode(self.mode.index(), speech, &mut out);
        if n == 0 {
            return Err(CodecError::Encode {
                codec: self.spec().name(),
                reason: "vo-amrwbenc produced no frame".to_owned(),
            });
        }
        payload.extend_from_slice(&out[..n]);
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        let frame = storage_frame(&self.spec(), payload, &WB_FRAME_BYTES)?;
        let mut speech = [0i16; WB_SAMPLES];
        self.decoder.decode(&frame, false, &mut speech);
        pcm.extend_from_slice(&speech);
        Ok(())
    }

    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        let mut frame = [0u8; FRAME_BUFFER];
        frame[0] = NO_DATA;
        let mut speech = [0i16; WB_SAMPLES];
        self.decoder.decode(&frame, true, &mut speech);
        pcm.extend_from_slice(&speech);
        Ok(())
    }
}

/// Checks a storage-format frame against the length its frame type calls for and copies
/// it into the fixed buffer the library reads from (zero-padded, so the C decoder never
/// reads past what it was given).
fn storage_frame(
    spec: &CodecSpec,
    payload: &[u8],
    frame_bytes: &[usize],
) -> Result<[u8; FRAME_BUFFER], CodecError> {
    let bad = |reason: String| CodecError::Decode {
        codec: spec.name(),
        reason,
    };
    let toc = *payload
        .first()
        .ok_or_else(|| bad("empty payload".to_owned()))?;
    let frame_type = usize::from((toc >> 3) & 0x0f);
    let needed = match frame_bytes.get(frame_type) {
        Some(&n) => n,
        None if frame_type == 15 => 1,
        None => return Err(bad(format!("unsupported frame type {frame_type}"))),
    };
    if payload.len() < needed || payload.len() > FRAME_BUFFER {
        return Err(bad(format!(
            "frame type {frame_type} takes {needed} bytes, got {}",
            payload.len()
        )));
    }
    let mut frame = [0u8; FRAME_BUFFER];
    frame[..payload.len()].copy_from_slice(payload);
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_the_mode_in_their_toc_and_have_its_length() {
        for mode in AmrNbMode::ALL {
            let mut codec = AmrNb::new(mode).unwrap();
            let mut payload = Vec::new();
            codec.encode(&[0; NB_SAMPLES], &mut payload).unwrap();
            assert_eq!(payload[0], (mode.index() << 3) | 0x04, "{mode:?}");
            assert_eq!(payload.len(), NB_FRAME_BYTES[usize::from(mode.index())]);
        }
        for mode in AmrWbMode::ALL {
            let mut codec = AmrWb::new(mode).unwrap();
            let mut payload = Vec::new();
            codec.encode(&[0; WB_SAMPLES], &mut payload).unwrap();
            assert_eq!(payload[0], (mode.index() << 3) | 0x04, "{mode:?}");
            assert_eq!(payload.len(), WB_FRAME_BYTES[usize::from(mode.index())]);
        }
    }

    #[test]
    fn encoding_leaves_the_callers_samples_alone() {
        // The libraries mask their input to 13/14 bits in place; odd samples would change.
        let odd: Vec<i16> = (0..WB_SAMPLES as i16).map(|n| n * 7 + 1).collect();
        let before = odd.clone();
        AmrNb::new(AmrNbMode::Mr122)
            .unwrap()
            .encode(&odd[..NB_SAMPLES], &mut Vec::new())
            .unwrap();
        AmrWb::new(AmrWbMode::Md1265)
            .unwrap()
            .encode(&odd, &mut Vec::new())
            .unwrap();
        assert_eq!(odd, before);
    }

    #[test]
    fn truncated_or_unknown_frames_are_refused() {
        let mut nb = AmrNb::new(AmrNbMode::Mr122).unwrap();
        let mut pcm = Vec::new();
        assert!(nb.decode(&[], &mut pcm).is_err());
        // A 12.2 kbit/s ToC with 10 of its 31 bytes.
        assert!(nb.decode(&[0x3c; 11], &mut pcm).is_err());
        // Frame type 12 is reserved.
        assert!(nb.decode(&[12 << 3 | 4], &mut pcm).is_err());
        assert!(pcm.is_empty());
        // NO_DATA is a valid one-byte frame.
        nb.decode(&[NO_DATA], &mut pcm).unwrap();
        assert_eq!(pcm.len(), NB_SAMPLES);
        let mut wb = AmrWb::new(AmrWbMode::Md2385).unwrap();
        assert!(wb.decode(&[(8 << 3) | 4; 60], &mut pcm).is_err());
        assert!(wb.encode(&[0; NB_SAMPLES], &mut Vec::new()).is_err());
    }
}
