//! The integration tests, linked as one binary (one link of the crate instead of one per file):
//! each `tests/<area>.rs` is a module here, sharing the helpers of `tests/common/`. Run one
//! area with `cargo test --test it <area>::`, one test with `cargo test --test it <name>`.
//! `tests/layering.rs` stays a binary of its own (it reads the sources, without the crate).

mod common;

#[path = "autoconsent_import.rs"]
mod autoconsent_import;
#[path = "classify.rs"]
mod classify;
#[path = "cli.rs"]
mod cli;
#[path = "cmps.rs"]
mod cmps;
#[path = "farms.rs"]
mod farms;
#[path = "findings.rs"]
mod findings;
#[path = "fuzz_parsers.rs"]
mod fuzz_parsers;
#[path = "history.rs"]
mod history;
#[path = "install.rs"]
mod install;
#[path = "journey.rs"]
mod journey;
#[path = "many_sites.rs"]
mod many_sites;
#[path = "ocd.rs"]
mod ocd;
#[path = "real_cmps.rs"]
mod real_cmps;
#[path = "real_smooch.rs"]
mod real_smooch;
#[path = "report_snapshots.rs"]
mod report_snapshots;
#[path = "reports.rs"]
mod reports;
#[path = "requests.rs"]
mod requests;
#[path = "robustness.rs"]
mod robustness;
#[path = "scan_fixtures.rs"]
mod scan_fixtures;
#[path = "store_postgres.rs"]
mod store_postgres;
#[path = "timing.rs"]
mod timing;
#[path = "visitor.rs"]
mod visitor;

/// Every `tests/*.rs` is a module of this binary or a `[[test]]` of Cargo.toml (`autotests` is
/// off): a new file left out of both would never run.
#[test]
fn every_test_file_runs() {
    let manifest = std::fs::read_to_string(common::root().join("Cargo.toml")).unwrap();
    let this = include_str!("it.rs");
    for entry in std::fs::read_dir(common::root().join("tests")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        assert!(
            this.contains(&format!("#[path = \"{name}\"]\nmod {stem};"))
                || manifest.contains(&format!("path = \"tests/{name}\"")),
            "tests/{name} is neither a module of tests/it.rs nor a [[test]] of Cargo.toml"
        );
    }
}
