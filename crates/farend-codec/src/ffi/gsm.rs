//! libgsm (GSM 06.10 full rate), from `/usr/include/gsm.h`. libgsm ships no pkg-config
//! file, so build.rs links it by name.

use std::ffi::{c_int, c_short, c_uchar, c_void};
use std::ptr::NonNull;

/// Bytes in one GSM-FR frame (260 bits plus the 0xD signature nibble).
pub(crate) const FRAME_BYTES: usize = 33;
/// Samples in one GSM-FR frame (20 ms at 8 kHz).
pub(crate) const SAMPLES: usize = 160;

unsafe extern "C" {
    // `gsm` is `struct gsm_state *`, opaque here; `gsm_signal` is `short`, `gsm_byte`
    // is `unsigned char`.
    fn gsm_create() -> *mut c_void;
    fn gsm_destroy(state: *mut c_void);
    fn gsm_encode(state: *mut c_void, source: *mut c_short, frame: *mut c_uchar);
    fn gsm_decode(state: *mut c_void, frame: *mut c_uchar, target: *mut c_short) -> c_int;
}

/// One libgsm state (libgsm keeps encoder and decoder memory in the same struct, so the
/// codec uses one state for each side).
pub(crate) struct GsmState(NonNull<c_void>);

impl GsmState {
    /// Creates a state with the library's default options (plain 33-byte frames).
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: plain constructor; a null return (out of memory) is handled.
        NonNull::new(unsafe { gsm_create() }).map(GsmState)
    }

    /// Encodes 160 samples into one 33-byte frame.
    pub(crate) fn encode(&mut self, speech: &[i16; SAMPLES], frame: &mut [u8; FRAME_BYTES]) {
        // The header declares the source non-const; hand it a copy so no caller data
        // could be written through it.
        let mut source = *speech;
        // SAFETY: the state is live and ours alone; gsm_encode reads 160 samples and
        // writes 33 bytes, the sizes of both arrays.
        unsafe { gsm_encode(self.0.as_ptr(), source.as_mut_ptr(), frame.as_mut_ptr()) }
    }

    /// Decodes one 33-byte frame into 160 samples; false if the frame lacks the GSM
    /// signature nibble (the library then writes nothing useful).
    pub(crate) fn decode(
        &mut self,
        frame: &[u8; FRAME_BYTES],
        speech: &mut [i16; SAMPLES],
    ) -> bool {
        let mut bits = *frame;
        // SAFETY: the state is live and ours alone; gsm_decode reads 33 bytes and writes
        // 160 samples, the sizes of both arrays.
        unsafe { gsm_decode(self.0.as_ptr(), bits.as_mut_ptr(), speech.as_mut_ptr()) == 0 }
    }
}

impl Drop for GsmState {
    fn drop(&mut self) {
        // SAFETY: the state came from gsm_create and is freed once, here.
        unsafe { gsm_destroy(self.0.as_ptr()) }
    }
}

// SAFETY: a private heap block with no thread affinity; libgsm has no global mutable state.
unsafe impl Send for GsmState {}
