//! The catalog of known chat-widget keys: data under `catalog/`, embedded at build time, extendable by user files.
//!
//! The catalog is loaded (`load`: embedded files, user files, their cross-checks) and then
//! asked (`lookup`: which vendor or platform a key, a request or a script is).

pub mod cmp;
mod load;
mod lookup;
mod matcher;
mod model;
pub mod ocd;
mod ocd_report;
pub mod pattern;
mod table;
pub mod words;

pub(crate) use load::{files_hash, parse_pattern};
pub use load::{ocd_notice, read_text};
pub use lookup::Judgement;
pub use matcher::{Attribution, Certainty, Decision, Evidence, EvidenceSteps, KeyMatch};
pub use model::{
    Category, DeclaredDuration, Detect, Holder, HostEntry, HostRole, InvalidDuration, JsonField,
    KeyEntry, KeyOrigin, OpenCall, Promise, PromiseRule, Scope, Source, Strength, Vendor,
};
pub use ocd::{DatabaseRef, Ocd, Platform, PlatformKey, PlatformMatch};
pub use ocd_report::{render_ocd_report, render_platforms};
pub use table::render_table;

use matcher::Matcher;

/// The loaded catalog: vendors, their keys, and the matcher over every name and alias.
#[derive(Debug)]
pub struct Catalog {
    pub vendors: Vec<Vendor>,
    /// `<date>+<hash>` of the embedded data, plus `+user.<hash>` when user files were added.
    pub version: String,
    matcher: Matcher,
    /// The Open Cookie Database: platforms and categories of the keys no chat vendor documents.
    pub ocd: Ocd,
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod ocd_tests;
