//! Fuzz target: farend_fuzz::scenario.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farend_fuzz::scenario(data));
