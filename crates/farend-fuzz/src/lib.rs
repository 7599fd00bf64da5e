//! farend-fuzz: one entry point per kind of untrusted input farend reads, for fuzzers.
//!
//! Each function takes arbitrary bytes and hands them to the parser that meets such input in
//! use: scenario files, lab files, WAV files, ADB transport frames from a host, and the text
//! a device prints (`getprop` with its per-SIM values, `dumpsys telephony.registry` with its
//! service states, `dumpsys telecom`, precise call states, command output with its exit
//! marker). None may panic, hang or allocate without bound, whatever the bytes; an error is a
//! fine answer.
//!
//! The coverage-guided fuzzers in `fuzz/` (cargo-fuzz, `make fuzz`) call these functions; the
//! crate's own test feeds them mutated samples on stable Rust in every test run.

use std::path::Path;

/// A scenario file (YAML).
pub fn scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = farend_scenario::parse_scenarios(&text, Path::new("fuzz.yaml"), &|_| true);
}

/// A lab file (YAML).
pub fn lab_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = farend_scenario::parse_lab(&text, Path::new("lab.yaml"));
}

/// A WAV file.
pub fn wav(data: &[u8]) {
    let _ = farend_audio::decode_wav(data.to_vec(), Path::new("fuzz.wav"));
}

/// A stream of ADB transport messages as a host sends them to a virtual handset.
pub fn adb_frames(data: &[u8]) {
    let mut rest = data;
    while farend_lab::adb::transport::Message::read(&mut rest).is_ok() {}
}

/// Text a device printed, through every parser of device output.
pub fn device_output(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = farend_device::parse::split_exit_marker(&text);
    let _ = farend_device::parse::telephony_registry(&text);
    let _ = farend_device::service_states(&text);
    let props = farend_device::parse::getprop(&text);
    let _ = farend_device::parse::identity(&props);
    let _ = farend_device::sim_slots(&props);
    let _ = farend_device::parse::telecom_calls(&text);
    let _ = farend_device::parse_precise_call_state(&text);
}

/// An entry point: arbitrary bytes in, nothing out.
pub type Entry = fn(&[u8]);

/// Every entry point by name, as the fuzz targets and the smoke test know them.
pub const TARGETS: [(&str, Entry); 5] = [
    ("scenario", scenario),
    ("lab_file", lab_file),
    ("wav", wav),
    ("adb_frames", adb_frames),
    ("device_output", device_output),
];
