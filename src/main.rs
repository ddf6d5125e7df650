//! The `chatcookie` binary: parse the command line, run the command, map the outcome to an exit code.

mod commands;

use chatcookie::capture::CaptureError;
use chatcookie::cli::{Cli, Command};
use chatcookie::diagnostic::Diagnostics;
use chatcookie::exit::Exit;
use clap::Parser;
use commands::UsageError;

fn main() {
    // Ctrl-C or SIGTERM: no browser or profile may outlive the tool.
    let _ = ctrlc::set_handler(|| {
        chatcookie::browser::kill_all_now();
        eprintln!("chatcookie: interrupted; browser closed and temporary profile removed");
        std::process::exit(Exit::Interrupted as i32);
    });
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Diagnostics carry their own "error:" lines.
            if e.downcast_ref::<Diagnostics>().is_some() {
                eprintln!("{e}");
            } else {
                eprintln!("error: {e:#}");
            }
            exit_code_for(&e)
        }
    };
    // Interrupted: the scan failed because its browser was killed on purpose. The signal
    // handler is removing the profile and exits with 130; leave the exit to it.
    while chatcookie::browser::interrupted() {
        std::thread::park();
    }
    std::process::exit(code as i32);
}

/// Mistakes in what the user gave are usage errors (2); everything else stopped the scan (3),
/// a missing or crashed browser included.
fn exit_code_for(e: &anyhow::Error) -> Exit {
    let usage = e.downcast_ref::<Diagnostics>().is_some()
        || e.downcast_ref::<CaptureError>().is_some()
        || e.downcast_ref::<UsageError>().is_some();
    if usage { Exit::Usage } else { Exit::ScanFailed }
}

fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => commands::scan::run(*args),
        Command::Check(args) => commands::check::run(*args),
        Command::Init(args) => commands::init::run(*args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Demo(args) => commands::demo::run(*args),
        Command::Catalog(args) => commands::catalog::run(args),
        Command::Classify(args) => commands::classify::run(args),
        Command::History(args) => commands::history::run(args),
        Command::Completions(args) => commands::completions::run(args),
        Command::Manpages(args) => commands::completions::manpages(args),
    }
}
