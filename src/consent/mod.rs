//! Consent managers (CMPs): recognise a page's cookie banner from rules, accept or reject it, and record how.
//!
//! The rules are data (`catalog/cmps.toml`, extendable with `--cmp-rules FILE`, see [`rules`]).

pub mod rules;

pub use rules::{Chain, Cmp, CmpRules, Detect, Step, Targets};
