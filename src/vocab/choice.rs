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

/// How the page's time runs while the scan waits for something that may not come (a late
/// widget, a late banner).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// Page time keeps pace with real time, and runs ahead while the scan waits: timers due
    /// within the wait fire as soon as the page is otherwise idle (network fetches hold page
    /// time back), so a wait ends when the page has nothing left to do within it.
    #[default]
    Fast,
    /// Page time is real time: every wait lasts until its answer or its bound.
    Real,
}
