//! The steps of a scan, in the order a visitor lives them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A moment in the visit after which the browser's storage is snapshotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Navigation complete and the page settled.
    Load,
    /// A chat widget detected on the page (or a bounded wait that found none).
    Widget,
    /// The cookie banner accepted or rejected.
    Consent,
    /// The chat opened, as a visitor would open it.
    ChatOpen,
    /// A first message sent in the chat (off by default: on a live site it reaches real staff).
    ChatMessage,
    /// The visitor comes back later: the start page in a new tab of the same profile (off by
    /// default). It only observes.
    Revisit,
    /// The visitor withdraws consent through the consent manager's own way back (off by default).
    Withdraw,
}

impl Step {
    /// Every step, in the order a visitor lives them.
    pub const ALL: [Step; 7] = [
        Step::Load,
        Step::Widget,
        Step::Consent,
        Step::ChatOpen,
        Step::ChatMessage,
        Step::Revisit,
        Step::Withdraw,
    ];

    /// The steps each page of a journey goes through (consent and the chat's once per journey).
    pub const ON_EACH_PAGE: [Step; 5] = [
        Step::Load,
        Step::Widget,
        Step::Consent,
        Step::ChatOpen,
        Step::ChatMessage,
    ];

    /// The steps a scan runs unless told otherwise: all but `chat_message`.
    pub const DEFAULT: [Step; 4] = [Step::Load, Step::Widget, Step::Consent, Step::ChatOpen];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Load => "load",
            Step::Widget => "widget",
            Step::Consent => "consent",
            Step::ChatOpen => "chat_open",
            Step::ChatMessage => "chat_message",
            Step::Revisit => "revisit",
            Step::Withdraw => "withdraw",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step name that is none of [`Step::ALL`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown step `{0}` (expected {names})", names = Step::ALL.map(Step::as_str).join(", "))]
pub struct UnknownStep(pub String);

impl std::str::FromStr for Step {
    type Err = UnknownStep;
    fn from_str(s: &str) -> Result<Self, UnknownStep> {
        Step::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStep(s.to_string()))
    }
}
