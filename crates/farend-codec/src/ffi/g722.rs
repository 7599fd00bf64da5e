//! SpanDSP's G.722 codec, from `/usr/include/spandsp/g722.h` (Debian `libspandsp-dev`,
//! LGPL-2.1, linked dynamically). SpanDSP's G.722 is checked against the ITU-T test
//! vectors by its own test suite.

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;

/// Samples in one 20 ms frame at 16 kHz.
pub(crate) const SAMPLES: usize = 320;
/// Octets in one 20 ms frame at 64 kbit/s (one per pair of samples).
pub(crate) const FRAME_BYTES: usize = SAMPLES / 2;
/// The 64 kbit/s mode.
const BIT_RATE: c_int = 64_000;
/// No options: 16 kHz samples, one code per octet.
const OPTIONS: c_int = 0;

unsafe extern "C" {
    // The state types are opaque here; passing null makes the library allocate them.
    fn g722_encode_init(state: *mut c_void, rate: c_int, options: c_int) -> *mut c_void;
    fn g722_encode_free(state: *mut c_void) -> c_int;
    fn g722_encode(state: *mut c_void, data: *mut u8, amp: *const i16, len: c_int) -> c_int;
    fn g722_decode_init(state: *mut c_void, rate: c_int, options: c_int) -> *mut c_void;
    fn g722_decode_free(state: *mut c_void) -> c_int;
    fn g722_decode(state: *mut c_void, amp: *mut i16, data: *const u8, len: c_int) -> c_int;
}

/// One G.722 encoder state.
pub(crate) struct G722Encoder(NonNull<c_void>);

impl G722Encoder {
    /// Creates an encoder at 64 kbit/s.
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: null asks the library to allocate the state; a null return is handled.
        NonNull::new(unsafe { g722_encode_init(std::ptr::null_mut(), BIT_RATE, OPTIONS) })
            .map(G722Encoder)
    }

    /// Encodes one frame; returns the octets written (always [`FRAME_BYTES`]).
    pub(crate) fn encode(
        &mut self,
        speech: &[i16; SAMPLES],
        frame: &mut [u8; FRAME_BYTES],
    ) -> usize {
        // SAFETY: the state is live and ours alone; 320 samples in at 64 kbit/s write 160
        // octets, the size of `frame`.
        let n = unsafe {
            g722_encode(
                self.0.as_ptr(),
                frame.as_mut_ptr(),
                speech.as_ptr(),
                SAMPLES as c_int,
            )
        };
        n.clamp(0, FRAME_BYTES as c_int) as usize
    }
}

impl Drop for G722Encoder {
    fn drop(&mut self) {
        // SAFETY: allocated by g722_encode_init and freed once, here.
        unsafe { g722_encode_free(self.0.as_ptr()) };
    }
}

/// One G.722 decoder state.
pub(crate) struct G722Decoder(NonNull<c_void>);

impl G722Decoder {
    /// Creates a decoder at 64 kbit/s.
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: as for the encoder.
        NonNull::new(unsafe { g722_decode_init(std::ptr::null_mut(), BIT_RATE, OPTIONS) })
            .map(G722Decoder)
    }

    /// Decodes one frame of 160 octets into 320 samples; returns the samples written.
    pub(crate) fn decode(
        &mut self,
        frame: &[u8; FRAME_BYTES],
        speech: &mut [i16; SAMPLES],
    ) -> usize {
        // SAFETY: the state is live and ours alone; 160 octets at 64 kbit/s write 320
        // samples, the size of `speech`.
        let n = unsafe {
            g722_decode(
                self.0.as_ptr(),
                speech.as_mut_ptr(),
                frame.as_ptr(),
                FRAME_BYTES as c_int,
            )
        };
        n.clamp(0, SAMPLES as c_int) as usize
    }
}

impl Drop for G722Decoder {
    fn drop(&mut self) {
        // SAFETY: allocated by g722_decode_init and freed once, here.
        unsafe { g722_decode_free(self.0.as_ptr()) };
    }
}

// SAFETY: private heap blocks with no thread affinity; SpanDSP's G.722 has no global state.
unsafe impl Send for G722Encoder {}
// SAFETY: as above.
unsafe impl Send for G722Decoder {}
