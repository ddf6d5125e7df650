//! chatcookie: which cookies and web-storage keys a live-chat widget writes, at which step, and
//! whether that is allowed.
//!
//! The module tree is the pipeline. Each module imports only those listed before it here
//! (`tests/layering.rs` fails otherwise; `docs/architecture.md` explains each layer):
//! [`vocab`] (the shared words, re-exported here) → [`exit`], [`diagnostic`], [`error`] →
//! [`catalog`] (vendors, the cookie database, consent-manager rules: embedded data) → [`capture`]
//! → [`browser`] (launch or connect, CDP, the page watcher) → [`snapshot`] → [`consent`] →
//! [`scan`] (the steps) → [`observation`] (each key's life, matched) → [`network`] (each
//! request, matched) → [`policy`] →
//! [`findings`] (judgement, one rule per file) → [`report`] (the assembled report and one
//! renderer per format) → [`compare`] (one comparison of scans) → [`gate`] → [`store`] (scan history) → [`classify`] → [`serve`] →
//! [`demo`] → [`run`] (the whole pipeline, which the binary calls).
//!
//! Scan and judge one site:
//!
//! ```no_run
//! use chatcookie::browser::BrowserOptions;
//! use chatcookie::catalog::Catalog;
//! use chatcookie::run::{self, Target};
//! use chatcookie::scan::ScanOptions;
//!
//! let catalog = Catalog::embedded()?;
//! let target = Target::parse("https://www.example.com/", None)?;
//! let opts = ScanOptions::default();
//! let judge = run::Judge::new(&catalog);
//! let report = run::scan_target(&target, opts, &BrowserOptions::default(), &judge)?;
//! for f in &report.findings {
//!     println!("{} {}: {}", f.severity, f.rule, f.message);
//! }
//! # Ok::<(), chatcookie::Error>(())
//! ```

// In layer order, bottom first.
pub mod vocab;
pub mod exit;
pub mod diagnostic;
pub mod error;
pub mod catalog;
pub mod capture;
pub mod browser;
pub mod snapshot;
pub mod consent;
pub mod scan;
pub mod observation;
pub mod network;
pub mod policy;
pub mod findings;
pub mod report;
pub mod compare;
pub mod gate;
pub mod store;
pub mod classify;
pub mod serve;
pub mod demo;
pub mod run;

pub use error::{Error, ErrorKind, Result};
pub use vocab::*;
