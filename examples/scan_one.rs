//! Scan and judge one site with the library: `cargo run --example scan_one -- https://www.example.com/`
//! (or a directory of site files, served on loopback). Prints each finding, most severe first,
//! and exits with the code the `chatcookie` binary would give.

use chatcookie::browser::BrowserOptions;
use chatcookie::catalog::Catalog;
use chatcookie::gate::Gate;
use chatcookie::run::{self, Judge, Target};
use chatcookie::scan::ScanOptions;

fn main() -> chatcookie::Result<()> {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://www.example.com/".into());
    let catalog = Catalog::embedded()?;
    let target = Target::parse(&target, None)?;
    let gate = Gate::default();
    let judge = Judge {
        gate: Some(&gate),
        ..Judge::new(&catalog)
    };
    let report = run::scan_target(
        &target,
        ScanOptions::default(),
        &BrowserOptions::default(),
        &judge,
    )?;
    for f in &report.findings {
        println!("{:<6} {:<18} {}", f.severity, f.rule, f.message);
    }
    let verdict = run::verdict(&[report], &gate.fail_on);
    std::process::exit(verdict.exit as i32);
}
