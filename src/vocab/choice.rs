//! What the visitor answers the banner, and how the browser treats third-party cookies: the choices a scan is made under.

use serde::{Deserialize, Serialize};

/// What to answer the cookie banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentAction {
    /// Accept all cookies.
    Accept,
    /// Reject all but strictly necessary cookies.
    Reject,
    /// Leave the banner alone (the consent step is skipped).
    None,
}

/// How the browser treats third-party cookies during the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ThirdPartyCookies {
    /// Third-party cookies are stored (the profile's cookie controls are off).
    Allow,
    /// Non-partitioned third-party cookies are refused, as current Chrome does by default.
    Block,
}

/// Whose key it is, relative to the page's registrable domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    FirstParty,
    ThirdParty,
}
