//! SpanDSP's G.722 codec, from `/usr/include/spandsp/g722.h` (Debian `libspandsp-dev`,
//! LGPL-2.1). SpanDSP's G.722 is checked against the ITU-T test vectors by its own test
//! suite.
//!
//! The shared library is opened when the first G.722 state is made, not linked: it loads
//! libtiff, libstdc++ and eight more libraries, which cost every `farend` process about
//! 4 ms at start (`farend --version` 5.6 → 1.6 ms of CPU), while only calls over G.722
//! use it.

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;
use std::sync::OnceLock;

/// Samples in one 20 ms frame at 16 kHz.
pub(crate) const SAMPLES: usize = 320;
/// Octets in one 20 ms frame at 64 kbit/s (one per pair of samples).
pub(crate) const FRAME_BYTES: usize = SAMPLES / 2;
/// The 64 kbit/s mode.
const BIT_RATE: c_int = 64_000;
/// No options: 16 kHz samples, one code per octet.
const OPTIONS: c_int = 0;
/// The shared library, by its soname (Debian `libspandsp2`).
pub(crate) const LIBRARY: &str = "libspandsp.so.2";

// The state types are opaque here; passing null makes the library allocate them.
type Init = unsafe extern "C" fn(state: *mut c_void, rate: c_int, options: c_int) -> *mut c_void;
type Free = unsafe extern "C" fn(state: *mut c_void) -> c_int;
type Encode =
    unsafe extern "C" fn(*mut c_void, data: *mut u8, amp: *const i16, len: c_int) -> c_int;
type Decode =
    unsafe extern "C" fn(*mut c_void, amp: *mut i16, data: *const u8, len: c_int) -> c_int;

/// SpanDSP's G.722 entry points, and the library that holds them.
struct Functions {
    encode_init: Init,
    encode_free: Free,
    encode: Encode,
    decode_init: Init,
    decode_free: Free,
    decode: Decode,
    /// Kept open for as long as the process runs, so the entry points stay valid.
    _library: libloading::Library,
}

/// The entry points, loaded on first use; the loader's message when the library or one of
/// its functions is missing.
fn functions() -> Result<&'static Functions, String> {
    static LOADED: OnceLock<Result<Functions, String>> = OnceLock::new();
    LOADED.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn load() -> Result<Functions, String> {
    // SAFETY: opening SpanDSP runs only its own and its dependencies' initialisers.
    let library = unsafe { libloading::Library::new(LIBRARY) }.map_err(|e| e.to_string())?;
    // SAFETY: each symbol has the type declared in spandsp/g722.h, and the library stays
    // open (in `Functions`) for as long as the pointers are used.
    unsafe {
        Ok(Functions {
            encode_init: symbol(&library, b"g722_encode_init\0")?,
            encode_free: symbol(&library, b"g722_encode_free\0")?,
            encode: symbol(&library, b"g722_encode\0")?,
            decode_init: symbol(&library, b"g722_decode_init\0")?,
            decode_free: symbol(&library, b"g722_decode_free\0")?,
            decode: symbol(&library, b"g722_decode\0")?,
            _library: library,
        })
    }
}

/// # Safety
/// `T` must be the function type of `name` in the library.
unsafe fn symbol<T: Copy>(library: &libloading::Library, name: &[u8]) -> Result<T, String> {
    // SAFETY: the caller vouches for the type.
    unsafe { library.get::<T>(name) }
        .map(|f| *f)
        .map_err(|e| e.to_string())
}

/// One G.722 encoder state.
pub(crate) struct G722Encoder(NonNull<c_void>, &'static Functions);

impl G722Encoder {
    /// Creates an encoder at 64 kbit/s: `Err` with the loader's message when SpanDSP cannot
    /// be opened, `Ok(None)` when it cannot make the state.
    pub(crate) fn new() -> Result<Option<Self>, String> {
        let f = functions()?;
        // SAFETY: null asks the library to allocate the state; a null return is handled.
        let state = unsafe { (f.encode_init)(std::ptr::null_mut(), BIT_RATE, OPTIONS) };
        Ok(NonNull::new(state).map(|state| G722Encoder(state, f)))
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
            (self.1.encode)(
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
        unsafe { (self.1.encode_free)(self.0.as_ptr()) };
    }
}

/// One G.722 decoder state.
pub(crate) struct G722Decoder(NonNull<c_void>, &'static Functions);

impl G722Decoder {
    /// Creates a decoder at 64 kbit/s, as [`G722Encoder::new`] does an encoder.
    pub(crate) fn new() -> Result<Option<Self>, String> {
        let f = functions()?;
        // SAFETY: as for the encoder.
        let state = unsafe { (f.decode_init)(std::ptr::null_mut(), BIT_RATE, OPTIONS) };
        Ok(NonNull::new(state).map(|state| G722Decoder(state, f)))
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
            (self.1.decode)(
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
        unsafe { (self.1.decode_free)(self.0.as_ptr()) };
    }
}

// SAFETY: private heap blocks with no thread affinity; SpanDSP's G.722 has no global state.
unsafe impl Send for G722Encoder {}
// SAFETY: as above.
unsafe impl Send for G722Decoder {}
