//! Fuzz target: farend_fuzz::lab_file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| farend_fuzz::lab_file(data));
