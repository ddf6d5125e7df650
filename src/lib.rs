//! chatcookie: which cookies and web-storage keys a live-chat widget writes, at which step.
//!
//! The pipeline, top to bottom: [`cli`] → [`browser`] session → [`scan`] steps → [`snapshot`]s →
//! [`catalog`] matching → [`observation`]s → [`findings`] (with the site's [`policy`]) →
//! [`report`] → [`gate`] → [`exit`] code; with `--store`, into the [`store`] of scan history.
//! [`classify`] matches a capture without a browser; [`serve`] and [`demo`] put local sites on
//! loopback.

pub mod browser;
pub mod capture;
pub mod catalog;
pub mod classify;

pub mod consent;
pub mod demo;
pub mod diagnostic;
pub mod error;
pub mod exit;
pub mod findings;
pub mod gate;
pub mod observation;
pub mod policy;
pub mod report;
pub mod run;
pub mod scan;
pub mod serve;
pub mod snapshot;
pub mod store;
pub mod vocab;

pub use error::{Error, ErrorKind, Result};
pub use vocab::*;
