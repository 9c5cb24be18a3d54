//! The `warroom` command line: an adapter over the library, like the desktop shell.
//!
//! It parses arguments, opens the log, calls one function of `warroom::ops` or the store and
//! prints the result, as text for people or `--json` for scripts. Any error ends the process with
//! a non-zero exit code and one line on stderr saying what went wrong and what to do.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    let args = match cli::Args::try_parse() {
        Ok(args) => args,
        Err(err) if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            return ExitCode::from(2);
        }
        Err(err) => {
            eprintln!("warroom: {}", one_line(&err.render().to_string()));
            return ExitCode::from(2);
        }
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The error and its causes, joined on one line.
            eprintln!("warroom: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Clap's usage errors span several lines (the error, hints, usage); scripts and people reading
/// a terminal at 3 a.m. want the reason on one.
fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(" ")
}
