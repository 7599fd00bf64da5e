//! ITU-T G.722 (64 kbit/s sub-band ADPCM, 16 kHz) through SpanDSP.
//!
//! Payloads are one octet per pair of 16 kHz samples (160 octets per 20 ms frame), as in
//! RTP payload type 9 (RFC 3551). Only the 64 kbit/s mode is offered: it is the one VoIP
//! calls carry; the 56 and 48 kbit/s modes only take bits for data.
//!
//! Lost frames: SpanDSP's G.722 has no packet loss concealment (G.722 Appendix III/IV),
//! so a lost frame is played as silence and the decoder's ADPCM state carries on unchanged,
//! what a plain RTP receiver without PLC does.

use crate::ffi::g722::{FRAME_BYTES, G722Decoder, G722Encoder, LIBRARY, SAMPLES};
use crate::{Codec, CodecError, CodecSpec, frame_array, payload_array};

/// G.722 codec for one call direction.
pub struct G722 {
    encoder: G722Encoder,
    decoder: G722Decoder,
}

impl G722 {
    /// Creates an encoder/decoder pair at 64 kbit/s.
    pub fn new() -> Result<Self, CodecError> {
        let init = |what| CodecError::Init {
            library: "SpanDSP G.722",
            what,
        };
        let load = |reason| CodecError::Load {
            library: LIBRARY,
            package: "libspandsp2",
            reason,
        };
        Ok(G722 {
            encoder: G722Encoder::new()
                .map_err(load)?
                .ok_or_else(|| init("encoder"))?,
            decoder: G722Decoder::new()
                .map_err(load)?
                .ok_or_else(|| init("decoder"))?,
        })
    }
}

impl Codec for G722 {
    fn spec(&self) -> CodecSpec {
        CodecSpec::G722
    }

    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        let speech: &[i16; SAMPLES] = frame_array(&self.spec(), pcm)?;
        let mut frame = [0u8; FRAME_BYTES];
        let written = self.encoder.encode(speech, &mut frame);
        payload.extend_from_slice(&frame[..written]);
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        let frame: &[u8; FRAME_BYTES] = payload_array(&self.spec(), payload)?;
        let mut speech = [0i16; SAMPLES];
        let written = self.decoder.decode(frame, &mut speech);
        pcm.extend_from_slice(&speech[..written]);
        Ok(())
    }

    fn conceal(&mut self, pcm: &mut Vec<i16>) -> Result<(), CodecError> {
        pcm.extend_from_slice(&[0; SAMPLES]);
        Ok(())
    }
}
