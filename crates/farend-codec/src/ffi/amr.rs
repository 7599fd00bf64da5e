//! opencore-amrnb (AMR-NB encoder and decoder), opencore-amrwb (AMR-WB decoder) and
//! vo-amrwbenc (AMR-WB encoder), from `/usr/include/opencore-amrnb/interf_{enc,dec}.h`,
//! `/usr/include/opencore-amrwb/dec_if.h` and `/usr/include/vo-amrwbenc/enc_if.h`.
//!
//! All four interfaces speak the AMR storage format of RFC 4867 section 5: one table of
//! contents byte (`frame type << 3 | quality bit << 2`) followed by the speech bits.

use std::ffi::{c_int, c_short, c_uchar, c_void};
use std::ptr::NonNull;

/// Bytes every AMR frame buffer has: more than the largest frame (61 bytes, AMR-WB 23.85).
pub(crate) const FRAME_BUFFER: usize = 64;
/// Samples in one AMR-NB frame (20 ms at 8 kHz).
pub(crate) const NB_SAMPLES: usize = 160;
/// Samples in one AMR-WB frame (20 ms at 16 kHz).
pub(crate) const WB_SAMPLES: usize = 320;

unsafe extern "C" {
    fn Encoder_Interface_init(dtx: c_int) -> *mut c_void;
    fn Encoder_Interface_exit(state: *mut c_void);
    // `mode` is the header's `enum Mode`, an int-sized enumeration (MR475 = 0 ... MR122 = 7).
    fn Encoder_Interface_Encode(
        state: *mut c_void,
        mode: c_int,
        speech: *const c_short,
        out: *mut c_uchar,
        force_speech: c_int,
    ) -> c_int;
    fn Decoder_Interface_init() -> *mut c_void;
    fn Decoder_Interface_exit(state: *mut c_void);
    fn Decoder_Interface_Decode(
        state: *mut c_void,
        input: *const c_uchar,
        out: *mut c_short,
        bfi: c_int,
    );
}

unsafe extern "C" {
    fn D_IF_init() -> *mut c_void;
    fn D_IF_decode(state: *mut c_void, bits: *const c_uchar, synth: *mut c_short, bfi: c_int);
    fn D_IF_exit(state: *mut c_void);
}

unsafe extern "C" {
    fn E_IF_init() -> *mut c_void;
    fn E_IF_encode(
        state: *mut c_void,
        mode: c_int,
        speech: *const c_short,
        out: *mut c_uchar,
        dtx: c_int,
    ) -> c_int;
    fn E_IF_exit(state: *mut c_void);
}

/// An opencore-amrnb encoder state.
pub(crate) struct NbEncoder(NonNull<c_void>);

impl NbEncoder {
    /// Creates an encoder without DTX (every frame is coded as speech).
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: plain constructor; a null return (out of memory) is handled.
        NonNull::new(unsafe { Encoder_Interface_init(0) }).map(NbEncoder)
    }

    /// Encodes one frame in mode `mode` (0..=7); returns the storage-format frame length.
    pub(crate) fn encode(
        &mut self,
        mode: u8,
        speech: &[i16; NB_SAMPLES],
        out: &mut [u8; FRAME_BUFFER],
    ) -> usize {
        debug_assert!(mode <= 7);
        // Despite the `const` in its header, the library masks the samples to 13 bits in
        // place: hand it a copy, never the caller's (shared, possibly read-only) slice.
        let mut scratch = *speech;
        // SAFETY: the state is live and ours alone (&mut self); the encoder reads and
        // rewrites exactly 160 samples of our own copy and writes at most 32 bytes, within
        // both arrays.
        let n = unsafe {
            Encoder_Interface_Encode(
                self.0.as_ptr(),
                c_int::from(mode),
                scratch.as_mut_ptr(),
                out.as_mut_ptr(),
                0,
            )
        };
        usize::try_from(n).unwrap_or(0)
    }
}

impl Drop for NbEncoder {
    fn drop(&mut self) {
        // SAFETY: the state came from Encoder_Interface_init and is freed once, here.
        unsafe { Encoder_Interface_exit(self.0.as_ptr()) }
    }
}

// SAFETY: the state is a private heap block with no thread affinity; the library keeps
// no global mutable state, so moving it to another thread is sound.
unsafe impl Send for NbEncoder {}

/// An opencore-amrnb decoder state.
pub(crate) struct NbDecoder(NonNull<c_void>);

impl NbDecoder {
    /// Creates a decoder.
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: plain constructor; a null return (out of memory) is handled.
        NonNull::new(unsafe { Decoder_Interface_init() }).map(NbDecoder)
    }

    /// Decodes one storage-format frame; `bad` marks it as damaged (bad frame indicator).
    pub(crate) fn decode(
        &mut self,
        frame: &[u8; FRAME_BUFFER],
        bad: bool,
        speech: &mut [i16; NB_SAMPLES],
    ) {
        // SAFETY: the state is live and ours alone; the decoder reads the ToC byte and at
        // most 31 more (the largest frame type), within the 64-byte array, and writes
        // exactly 160 samples.
        unsafe {
            Decoder_Interface_Decode(
                self.0.as_ptr(),
                frame.as_ptr(),
                speech.as_mut_ptr(),
                c_int::from(bad),
            )
        }
    }
}

impl Drop for NbDecoder {
    fn drop(&mut self) {
        // SAFETY: the state came from Decoder_Interface_init and is freed once, here.
        unsafe { Decoder_Interface_exit(self.0.as_ptr()) }
    }
}

// SAFETY: as for NbEncoder: a private heap block, no global mutable state.
unsafe impl Send for NbDecoder {}

/// A vo-amrwbenc encoder state.
pub(crate) struct WbEncoder(NonNull<c_void>);

impl WbEncoder {
    /// Creates an encoder.
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: plain constructor; a null return (out of memory) is handled.
        NonNull::new(unsafe { E_IF_init() }).map(WbEncoder)
    }

    /// Encodes one frame in mode `mode` (0..=8) without DTX; returns the frame length.
    pub(crate) fn encode(
        &mut self,
        mode: u8,
        speech: &[i16; WB_SAMPLES],
        out: &mut [u8; FRAME_BUFFER],
    ) -> usize {
        debug_assert!(mode <= 8);
        // Like opencore-amrnb, the encoder may rewrite its input (the header's pointer is
        // `const`, the AMR reference code is not): hand it a copy.
        let mut scratch = *speech;
        // SAFETY: the state is live and ours alone; the encoder reads exactly 320 samples
        // of our own copy and writes at most 61 bytes, within both arrays.
        let n = unsafe {
            E_IF_encode(
                self.0.as_ptr(),
                c_int::from(mode),
                scratch.as_mut_ptr(),
                out.as_mut_ptr(),
                0,
            )
        };
        usize::try_from(n).unwrap_or(0)
    }
}

impl Drop for WbEncoder {
    fn drop(&mut self) {
        // SAFETY: the state came from E_IF_init and is freed once, here.
        unsafe { E_IF_exit(self.0.as_ptr()) }
    }
}

// SAFETY: a private heap block with no thread affinity and no global mutable state.
unsafe impl Send for WbEncoder {}

/// An opencore-amrwb decoder state.
pub(crate) struct WbDecoder(NonNull<c_void>);

impl WbDecoder {
    /// Creates a decoder.
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: plain constructor; a null return (out of memory) is handled.
        NonNull::new(unsafe { D_IF_init() }).map(WbDecoder)
    }

    /// Decodes one storage-format frame; `bad` marks it as damaged (bad frame indicator).
    pub(crate) fn decode(
        &mut self,
        frame: &[u8; FRAME_BUFFER],
        bad: bool,
        speech: &mut [i16; WB_SAMPLES],
    ) {
        // SAFETY: the state is live and ours alone; the decoder reads the ToC byte and at
        // most 60 more, within the 64-byte array, and writes exactly 320 samples.
        unsafe {
            D_IF_decode(
                self.0.as_ptr(),
                frame.as_ptr(),
                speech.as_mut_ptr(),
                c_int::from(bad),
            )
        }
    }
}

impl Drop for WbDecoder {
    fn drop(&mut self) {
        // SAFETY: the state came from D_IF_init and is freed once, here.
        unsafe { D_IF_exit(self.0.as_ptr()) }
    }
}

// SAFETY: a private heap block with no thread affinity and no global mutable state.
unsafe impl Send for WbDecoder {}
