//! The `chatcookie` binary: parse the command line, run the command, map the outcome to an exit code.

mod cli;
mod commands;

use crate::cli::{Cli, Command};
use chatcookie::exit::Exit;
use clap::Parser;

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
            if e.is_diagnostics() {
                eprintln!("{e}");
            } else {
                eprintln!("error: {e}");
            }
            e.exit()
        }
    };

    // Interrupted: the scan failed because its browser was killed on purpose. The signal
    // handler is removing the profile and exits with 130; leave the exit to it.
    while chatcookie::browser::interrupted() {
        std::thread::park();
    }
    std::process::exit(code as i32);
}

fn run(cli: Cli) -> chatcookie::Result<Exit> {
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
