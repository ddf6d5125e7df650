//! `chatcookie classify`: attribute the keys of a capture the user already holds, without a browser.

use super::load_catalog;
use crate::cli::{ClassifyArgs, ListFormat};
use anyhow::Context;
use chatcookie::Error;
use chatcookie::capture::parse_capture;
use chatcookie::classify;
use chatcookie::exit::Exit;

pub fn run(args: ClassifyArgs) -> anyhow::Result<Exit> {
    let catalog = load_catalog(&args.catalog.files)?;
    let bytes = if args.input == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(&args.input)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", args.input)))?
    };
    let capture = parse_capture(&bytes).map_err(Error::input)?;
    let result = classify::classify(&catalog, capture, args.show_values);
    match args.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        ListFormat::Table => classify::render_table(&result, &mut std::io::stdout().lock())?,
    }
    Ok(Exit::Ok)
}
