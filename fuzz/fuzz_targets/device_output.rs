//! Fuzz target: farend_fuzz::device_output.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farend_fuzz::device_output(data));
