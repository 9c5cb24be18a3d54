//! The `warroom` command line: an adapter over the library, like the desktop shell.
//!
//! It parses arguments, opens the log, calls one function of `warroom::ops` or the store and
//! prints the result, as text for people or `--json` for scripts. Any error ends the process with
//! a non-zero exit code and one line on stderr saying what went wrong and what to do.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use warroom::text::printable;

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
            // What was typed is in it, control characters and all.
            eprintln!("warroom: {}", printable(&one_line(&err.render().to_string())));
            return ExitCode::from(2);
        }
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The error and its causes, joined on one line; they may quote outside text (a file's,
            // a server's), so its control characters are escaped as on every line for people.
            eprintln!("warroom: {}", printable(&causes(&err)));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each said once: a cause whose words the line already
/// holds (a wrapper that quotes its source, as "disk I/O error: disk I/O error" did) is skipped.
fn causes(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Defect: the disk-full error said itself three times in one message.
    #[test]
    fn each_cause_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot write the log: {source}")]
        struct Quoting {
            source: std::io::Error,
        }
        let full =
            std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device (os error 28)");
        let err = anyhow::Error::new(Quoting { source: full }).context("cannot add the note");
        let line = causes(&err);
        assert_eq!(line, "cannot add the note: cannot write the log: No space left on device (os error 28)");
        assert_eq!(line.matches("No space left").count(), 1);
    }
}
