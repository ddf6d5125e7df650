//! How to run one scan: its options, their defaults, and what makes them no scan.

use super::ConsentChoice;
use super::pages;
use crate::browser::visitor::Visitor;
use crate::vocab::{Clock, Step};
use std::time::Duration;

/// How to run one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub url: String,
    pub consent: ConsentChoice,
    /// `--open-click`: open the chat by clicking this element instead of the vendor's own call.
    pub open_click: Option<String>,
    /// Upper bound for each step's action and settling.
    pub step_timeout: Duration,
    /// How long cookies, storage and network must stay still for a step to count as settled.
    pub quiet: Duration,
    /// How long the widget step waits for a chat widget to appear (page time, see `clock`).
    pub widget_timeout: Duration,
    /// How the page's time runs while the scan waits for a widget or banner that may not come.
    pub clock: Clock,
    /// The steps to run (always in their natural order).
    pub steps: Vec<Step>,
    /// Print one line per finished step to standard error.
    pub progress: bool,
    /// Capture a PNG screenshot of the page after each step's snapshot (off by default: it costs time).
    pub screenshots: bool,
    /// Who the page sees: device, language, time zone, place, headers, starting state.
    pub visitor: Visitor,
    /// The first message the `chat_message` step sends (None: the default text).
    pub message: Option<String>,
    /// `--pages`: at most this many pages of the site, the start page included (links and
    /// sitemap, breadth first); 1 scans the start page alone.
    pub pages: usize,
    /// `--page`: pages of the same site visited right after the start page, on top of `pages`
    /// (paths, resolved against the start page, or addresses).
    pub asked_pages: Vec<String>,
    /// `--withdraw-click`: withdraw consent by clicking this element (then answering the
    /// settings it opens with a refusal) instead of the consent manager's own way back.
    pub withdraw_click: Option<String>,
}

/// The defaults of a scan, shared by every entry point (the CLI's flags, a policy's `[scan]`,
/// the demo, the library's [`ScanOptions::default`]); the `_TEXT` forms are what `--help` shows.
pub mod defaults {
    use std::time::Duration;

    pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);
    pub const STEP_TIMEOUT_TEXT: &str = "10s";
    pub const QUIET: Duration = Duration::from_millis(150);
    pub const QUIET_TEXT: &str = "150ms";
    pub const WIDGET_TIMEOUT: Duration = Duration::from_secs(3);
    pub const WIDGET_TIMEOUT_TEXT: &str = "3s";
    pub const STEPS_TEXT: &str = "load,widget,consent,chat_open";
}

impl Default for ScanOptions {
    /// Every default step, the banner accepted through the embedded consent-manager rules, the
    /// default bounds and visitor; `url` is empty until a target sets it.
    fn default() -> ScanOptions {
        ScanOptions {
            url: String::new(),
            consent: ConsentChoice::from_flags(
                crate::vocab::ConsentAction::Accept,
                None,
                None,
                None,
                crate::catalog::cmp::CmpRules::embedded()
                    .expect("the embedded CMP rules are valid"),
            ),
            open_click: None,
            step_timeout: defaults::STEP_TIMEOUT,
            quiet: defaults::QUIET,
            widget_timeout: defaults::WIDGET_TIMEOUT,
            clock: Clock::default(),
            steps: Step::DEFAULT.to_vec(),
            progress: false,
            screenshots: false,
            visitor: Visitor::default(),
            message: None,
            pages: 1,
            asked_pages: Vec::new(),
            withdraw_click: None,
        }
    }
}

impl ScanOptions {
    /// More than the start page is visited.
    pub fn journey(&self) -> bool {
        self.pages > 1 || !self.asked_pages.is_empty()
    }

    /// Whether the options make one scan: a withdrawal needs a consent given first.
    pub fn check(&self) -> Result<(), InvalidOptions> {
        if self.steps.contains(&Step::Withdraw)
            && (!self.steps.contains(&Step::Consent)
                || self.consent.action != crate::vocab::ConsentAction::Accept)
        {
            return Err(InvalidOptions::WithdrawWithoutConsent);
        }
        if self.pages == 0 {
            return Err(InvalidOptions::NoPages);
        }
        for p in &self.asked_pages {
            pages::check_asked(p)?;
        }
        Ok(())
    }
}

/// Options that make no scan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOptions {
    #[error(
        "the `withdraw` step needs consent given first: add `consent` to the steps and answer with `--consent accept`"
    )]
    WithdrawWithoutConsent,
    #[error("`pages` must be at least 1 (the start page)")]
    NoPages,
    #[error(transparent)]
    Page(#[from] pages::InvalidPage),
}

/// What the `chat_message` step sends unless `--message` says otherwise: staff who read it on
/// a live site know what it is.
pub const DEFAULT_MESSAGE: &str = "Test message from a cookie audit (chatcookie): please ignore.";
