//! `farend devices`: the lab's handsets, who they are and what they are doing.

use super::{CliError, Outcome};
use clap::Args;
use farend_runner::Lab;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `farend devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Lab file whose handsets to list; without one, the built-in virtual lab is started and listed.
    #[arg(long)]
    pub lab: Option<PathBuf>,
    /// Show phone numbers in full.
    #[arg(long)]
    pub no_redact: bool,
}

/// Runs `farend devices`.
pub fn run(args: DevicesArgs) -> Outcome {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::LabFault(format!("async runtime: {e}")))?;
    let mut _virtual = None;
    let lab = match &args.lab {
        Some(path) => {
            let file = farend_scenario::load_lab(path).map_err(super::load_error)?;
            Lab::from_file(&file, Default::default())
                .map_err(|e| CliError::BadInput(e.to_string()))?
        }
        None => {
            let vl = std::sync::Arc::new(
                farend_lab::VirtualLab::start(Default::default())
                    .map_err(|e| CliError::LabFault(format!("virtual lab: {e}")))?,
            );
            let lab = Lab::from_virtual(&vl, Default::default())
                .map_err(|e| CliError::LabFault(e.to_string()))?;
            _virtual = Some(vl);
            lab
        }
    };
    let mut offline = 0;
    crate::commands::print_line(&format!(
        "{:<14} {:<22} {:<16} {:<24} {:<8} state",
        "id", "serial", "number", "model", "android"
    ));
    runtime.block_on(async {
        for h in &lab.handsets {
            let number = if args.no_redact {
                h.number.clone()
            } else {
                farend_report::redact_number(&h.number)
            };
            match h.device.identity().await {
                Ok(id) => {
                    let state = h
                        .device
                        .call_state()
                        .await
                        .map_or_else(|e| format!("? ({e})"), |s| s.to_string());
                    crate::commands::print_line(&format!(
                        "{:<14} {:<22} {:<16} {:<24} {:<8} {state}",
                        h.id,
                        h.serial,
                        number,
                        format!("{} {}", id.manufacturer, id.model),
                        id.android_release
                    ));
                }
                Err(e) => {
                    offline += 1;
                    crate::commands::print_line(&format!(
                        "{:<14} {:<22} {:<16} offline: {e}",
                        h.id, h.serial, number
                    ));
                }
            }
        }
    });
    Ok(if offline == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
