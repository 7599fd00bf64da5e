//! Fuzz target: farend_fuzz::adb_frames.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farend_fuzz::adb_frames(data));
