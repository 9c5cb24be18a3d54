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
    quiet_on_closed_pipe();
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

/// `warroom timeline ID | head` closes the pipe early; Rust's `println!` then panics. That is not
/// an error of ours: leave quietly, as Unix tools do, and keep every other panic as it was.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
