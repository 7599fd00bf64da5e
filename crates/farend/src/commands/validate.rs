//! `farend validate`: check scenario and lab files without running them.

use super::{CliError, Outcome};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `farend validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario or lab files, or folders of them. A file with a top-level `handsets:` key is a lab file.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// What the files are: scenarios, lab files, or decided per file by its top-level keys.
    #[arg(long, value_enum, default_value_t = Kind::Auto)]
    pub kind: Kind,
    #[command(flatten)]
    pub refs: super::RefsArg,
}

/// What kind of file `farend validate` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A file with a top-level `handsets:` key is a lab file, anything else a scenario.
    Auto,
    /// Scenario files.
    Scenario,
    /// Lab files.
    Lab,
}

/// One line about a scenario file's scenarios (its matrix variants, if it has a matrix).
fn describe(variants: &[farend_scenario::Scenario]) -> String {
    let Some(s) = variants.first() else {
        return "no scenario".to_owned();
    };
    let mut line = format!(
        "scenario `{}`: {} step(s), repeat {}",
        s.name,
        s.steps.len(),
        s.repeat
    );
    if !s.matrix.is_empty() {
        let names: Vec<&str> = s.matrix.iter().map(|(k, _)| k.as_str()).collect();
        let cases = variants.iter().map(|v| u64::from(v.repeat)).sum::<u64>();
        line.push_str(&format!(
            ", matrix {} = {} variant(s), {cases} case(s)",
            names.join(" x "),
            variants.len()
        ));
    }
    line
}

/// Runs `farend validate`.
pub fn run(args: ValidateArgs) -> Outcome {
    let refs = args.refs.open()?;
    let files = farend_scenario::discover(&args.paths).map_err(super::load_error)?;
    if files.is_empty() {
        return Err(CliError::BadInput("no *.yaml files to validate".into()));
    }
    let known = |name: &str| refs.contains(name);
    let mut errors = Vec::new();
    for file in &files {
        let is_lab = match args.kind {
            Kind::Auto => super::looks_like_lab(file),
            Kind::Scenario => false,
            Kind::Lab => true,
        };
        let result = if is_lab {
            farend_scenario::load_lab(file)
                .map(|lab| format!("lab with {} handset(s)", lab.handsets.len()))
        } else {
            farend_scenario::load_scenarios(file, &known).map(|v| describe(&v))
        };
        match result {
            Ok(what) => crate::commands::print_line(&format!("ok    {}: {what}", file.display())),
            Err(e) => {
                crate::commands::print_line(&format!("error {}", file.display()));
                errors.push(e.to_string());
            }
        }
    }
    if errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CliError::BadInput(errors.join("\n")))
    }
}
