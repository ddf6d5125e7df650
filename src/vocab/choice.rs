//! What the visitor answers the banner, and how the browser treats third-party cookies: the choices a scan is made under.

use super::named::named;
use serde::{Deserialize, Serialize};

named! {
    /// What to answer the cookie banner.
    #[derive(clap::ValueEnum)]
    pub enum ConsentAction: "consent answer", as_str {
        /// Accept all cookies.
        Accept = "accept",
        /// Reject all but strictly necessary cookies.
        Reject = "reject",
        /// Leave the banner alone (the consent step is skipped).
        None = "none",
    }
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

named! {
    /// Whose key it is, relative to the page's registrable domain.
    pub enum Party: "party", as_str {
        FirstParty = "first-party",
        ThirdParty = "third-party",
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `--consent` (clap), the policy and the report spell an answer alike.
    #[test]
    fn the_command_line_names_each_answer_as_the_report_does() {
        for a in ConsentAction::ALL {
            let clap = clap::ValueEnum::to_possible_value(&a).unwrap();
            assert_eq!(clap.get_name(), a.as_str());
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::json!(a.as_str())
            );
        }
    }
}
