//! `farend lab serve`: run the virtual lab on its own, for `adb` and for lab files.

use super::{CliError, Outcome};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `farend lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Debug, Subcommand)]
enum LabCommand {
    /// Start the virtual lab and keep it running until Ctrl-C (or stdin closes with --until-eof).
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// How many virtual handsets.
    #[arg(long, default_value_t = 4)]
    handsets: usize,
    /// One-way transport delay of the virtual network, in milliseconds.
    #[arg(long, default_value_t = 60)]
    delay_ms: u64,
    /// Rate of the virtual sound cards in Hz (8000, 16000, 24000 or 48000).
    #[arg(long, default_value_t = 16000, value_parser = card_rate)]
    sample_rate: u32,
    /// First TCP port to use (consecutive ports follow; 5555–5585 are refused: adb probes them).
    #[arg(long)]
    base_port: Option<u16>,
    /// Also write a lab file describing the served handsets, for `farend run --lab`.
    #[arg(long, value_name = "FILE")]
    write_lab: Option<PathBuf>,
    /// Stop when standard input reaches its end (for scripts), as well as on Ctrl-C.
    #[arg(long)]
    until_eof: bool,
    /// Make hosts that connect straight to a handset authenticate first (ADB AUTH), as a
    /// real handset does; every key is allowed.
    #[arg(long)]
    auth: bool,
}

/// Parses `--sample-rate`: one of the rates the virtual cards run at.
fn card_rate(text: &str) -> Result<u32, String> {
    let rates = farend_scenario::VIRTUAL_CARD_RATES;
    text.parse::<u32>()
        .ok()
        .filter(|hz| rates.contains(hz))
        .ok_or_else(|| format!("`{text}`: the virtual sound cards run at {rates:?} Hz"))
}

/// A lab file for the handsets of a running virtual lab.
pub fn lab_file_text(lab: &farend_lab::VirtualLab) -> String {
    let mut text = String::from("# Lab file for a running `farend lab serve`.\nhandsets:\n");
    for h in lab.handsets() {
        text.push_str(&format!(
            "  - id: {}\n    connect: \"{}\"\n    number: \"{}\"\n    audio: {{ mic: \"{}\", ear: \"{}\" }}\n",
            h.id, h.serial, h.number, h.mic, h.ear
        ));
    }
    text
}

/// Runs `farend lab`.
pub fn run(args: LabArgs) -> Outcome {
    let LabCommand::Serve(args) = args.command;
    let config = farend_lab::LabConfig {
        handsets: args.handsets,
        transport_delay: std::time::Duration::from_millis(args.delay_ms),
        sample_rate: args.sample_rate,
        base_port: args.base_port,
        require_auth: args.auth,
        ..Default::default()
    };
    let lab = farend_lab::VirtualLab::start(config)
        .map_err(|e| CliError::LabFault(format!("virtual lab: {e}")))?;
    crate::commands::print_line(&format!(
        "{:<6} {:<22} {:<16} {:<14} {:<28} ear",
        "id", "adb", "number", "model", "mic"
    ));
    for h in lab.handsets() {
        crate::commands::print_line(&format!(
            "{:<6} {:<22} {:<16} {:<14} {:<28} {}",
            h.id, h.serial, h.number, h.model, h.mic, h.ear
        ));
    }
    if let Some(path) = &args.write_lab {
        std::fs::write(path, lab_file_text(&lab))
            .map_err(|e| CliError::LabFault(format!("cannot write {}: {e}", path.display())))?;
        crate::commands::print_line(&format!("lab file: {}", path.display()));
    }
    crate::commands::print_line(&format!(
        "try: adb connect {0} && adb -s {0} shell dumpsys telephony.registry",
        lab.handsets()[0].serial
    ));
    crate::commands::print_line("serving; Ctrl-C stops");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let tx2 = tx.clone();
    ctrlc_handler(move || {
        let _ = tx2.send(());
    });
    if args.until_eof {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            let _ = tx.send(());
        });
    }
    let _ = rx.recv();
    lab.shutdown();
    Ok(ExitCode::SUCCESS)
}

fn ctrlc_handler(f: impl Fn() + Send + 'static) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
            f();
        }
    });
}
