//! Scan and judge one site with the library: `cargo run --example scan_one -- https://www.example.com/`
//! (or a directory of site files, served on loopback). Prints each finding, most severe first,
//! and exits with the code the `chatcookie` binary would give.

use chatcookie::FailOn;
use chatcookie::browser::BrowserOptions;
use chatcookie::catalog::Catalog;
use chatcookie::run::{self, Target};
use chatcookie::scan::ScanOptions;

fn main() -> chatcookie::Result<()> {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://www.example.com/".into());
    let catalog = Catalog::embedded()?;
    let target = Target::parse(&target, None)?;
    let mut reports = vec![run::scan_target(
        &target,
        ScanOptions::default(),
        &BrowserOptions::default(),
        &catalog,
        None,
        false,
    )?];
    let fail_on = FailOn::default();
    let failing = run::gate(&mut reports, &fail_on, None, None);
    for f in &reports[0].findings {
        println!("{:<6} {:<18} {}", f.severity, f.rule, f.message);
    }
    let verdict = run::verdict(&reports, failing, &fail_on);
    std::process::exit(verdict.exit as i32);
}
