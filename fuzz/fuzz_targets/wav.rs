//! Fuzz target: farend_fuzz::wav.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farend_fuzz::wav(data));
