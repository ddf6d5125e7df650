//! `chatcookie completions SHELL` and the hidden `chatcookie manpages DIR`: shell completion
//! scripts and man pages generated from the clap definitions in `cli.rs`, so that they never
//! drift from `--help`. `scripts/build-deb` runs both on the release binary and packages the
//! output; no build script is involved.

use crate::cli::{Cli, CompletionsArgs, ManpagesArgs};
use anyhow::Context;
use chatcookie::exit::Exit;
use clap::CommandFactory;
use std::path::{Path, PathBuf};

/// The name the scripts complete and the man pages are titled with.
const BIN: &str = "chatcookie";

/// Prints the completion script for the shell to standard output.
pub fn run(args: CompletionsArgs) -> chatcookie::Result<Exit> {
    let mut cmd = visible_command();
    // Generated into memory first: clap_complete panics on a write error, and a reader that
    // stops early (`| head`) is no error of ours.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, BIN, &mut script);
    super::print_stdout(|out| out.write_all(&script))?;
    Ok(Exit::Ok)
}

/// The command line as completion scripts offer it: without the hidden subcommands (clap_complete
/// offers hidden subcommands too, and clap has no way to remove one, so the root is rebuilt).
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let visible: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(visible)
}

/// Writes chatcookie.1 and one page per (visible) subcommand into the directory, and lists them.
pub fn manpages(args: ManpagesArgs) -> chatcookie::Result<Exit> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))
        .map_err(chatcookie::Error::output)?;
    for path in write_manpages(&args.dir)? {
        println!("{}", path.display());
    }
    Ok(Exit::Ok)
}

/// The pages, named as man expects them: chatcookie.1, chatcookie-scan.1, ….
pub fn write_manpages(dir: &Path) -> chatcookie::Result<Vec<PathBuf>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building the root gives every subcommand its display name (chatcookie-scan).
    cmd.build();
    let source = format!("{BIN} {}", env!("CARGO_PKG_VERSION"));
    let mut written = Vec::new();
    write_page(cmd, dir, &source, &mut written)?;
    Ok(written)
}

fn write_page(
    cmd: clap::Command,
    dir: &Path,
    source: &str,
    written: &mut Vec<PathBuf>,
) -> chatcookie::Result<()> {
    let subcommands: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let page = clap_mangen::Man::new(cmd)
        .source(source)
        .manual("chatcookie manual");
    let path = page
        .generate_to(dir)
        .with_context(|| format!("cannot write a man page into {}", dir.display()))
        .map_err(chatcookie::Error::output)?;
    written.push(path);
    for sub in subcommands {
        write_page(sub, dir, source, written)?;
    }
    Ok(())
}
