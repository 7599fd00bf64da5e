//! Runs a virtual lab until interrupted and prints how to reach it.
//!
//! `cargo run -p farend-lab --example serve -- [HANDSETS] [BASE_PORT]`

use std::time::Duration;

use farend_lab::{LabConfig, VirtualLab};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let handsets = args.next().map(|s| s.parse()).transpose()?.unwrap_or(4);
    let base_port = args.next().map(|s| s.parse()).transpose()?;
    let config = LabConfig {
        handsets,
        base_port,
        ..LabConfig::default()
    };
    let lab = VirtualLab::start(config.clone())?;
    println!(
        "virtual lab: {} handsets, {} (codec), {} ms transport delay, {} Hz cards",
        lab.handsets().len(),
        config.codec.name(),
        config.transport_delay.as_millis(),
        config.sample_rate
    );
    for h in lab.handsets() {
        println!(
            "{}  {:<14} {} {} (Android {})  adb {}  mic {}  ear {}",
            h.id, h.number, h.manufacturer, h.model, h.android_release, h.serial, h.mic, h.ear
        );
    }
    println!("\n# lab file for these handsets (adb connect each serial first):");
    println!("handsets:");
    for h in lab.handsets() {
        println!(
            "  - id: {}\n    serial: \"{}\"\n    number: \"{}\"",
            h.id, h.serial, h.number
        );
        println!("    audio: {{ mic: \"{}\", ear: \"{}\" }}", h.mic, h.ear);
    }
    println!("\nready");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
