//! How to run one scan: the settings a policy, the flags or `init` give, the options they make, their defaults.

use super::answer::{ConsentChoice, ConsentSettings};
use super::pages;
use crate::browser::visitor::{self, Visitor};
use crate::consent::{BannerWords, CmpRules};
use crate::error::Error;
use crate::vocab::{Clock, Step};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The settings of a scan, as the policy's `[scan]` table spells them (the command line's
/// flags make the same), checked: what `init` writes back and the options are made of. Paths
/// are as given to the reader (the policy resolves its own against the policy file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(flatten)]
    pub consent: ConsentSettings,
    /// `--open-click`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_click: Option<String>,
    /// `--withdraw-click`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdraw_click: Option<String>,
    /// `--pages`.
    #[serde(skip_serializing_if = "is_one")]
    pub pages: usize,
    /// `--page`.
    #[serde(rename = "page", skip_serializing_if = "Vec::is_empty")]
    pub asked_pages: Vec<String>,
    #[serde(skip_serializing_if = "is_default_steps")]
    pub steps: Vec<Step>,
    #[serde(
        with = "duration_text",
        skip_serializing_if = "is_default_step_timeout"
    )]
    pub step_timeout: Duration,
    #[serde(with = "duration_text", skip_serializing_if = "is_default_quiet")]
    pub quiet: Duration,
    #[serde(
        with = "duration_text",
        skip_serializing_if = "is_default_widget_timeout"
    )]
    pub widget_timeout: Duration,
    #[serde(skip_serializing_if = "is_default_clock")]
    pub clock: Clock,
    /// `--message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Extra consent-manager rule files. Not written back: a path is the reader's, relative to
    /// where it was given, not to the file written.
    #[serde(skip_serializing)]
    pub cmp_rules: Vec<PathBuf>,
    /// Extra banner-word files (not written back, as `cmp_rules`).
    #[serde(skip_serializing)]
    pub banner_words: Vec<PathBuf>,
    /// Who the page sees; its storage-state file is read when the options are made, unless
    /// already read. The policy reads it from its own keys (`locale`, `device`…); not written
    /// back (`init` records the scan's answers, not its visitor).
    #[serde(skip)]
    pub visitor: Visitor,
}

impl Default for Settings {
    /// Every default step, the banner accepted through the embedded consent-manager rules, the
    /// default bounds and visitor.
    fn default() -> Settings {
        Settings {
            consent: ConsentSettings::default(),
            open_click: None,
            withdraw_click: None,
            pages: 1,
            asked_pages: Vec::new(),
            steps: Step::DEFAULT.to_vec(),
            step_timeout: defaults::STEP_TIMEOUT,
            quiet: defaults::QUIET,
            widget_timeout: defaults::WIDGET_TIMEOUT,
            clock: Clock::default(),
            message: None,
            cmp_rules: Vec::new(),
            banner_words: Vec::new(),
            visitor: Visitor::default(),
        }
    }
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

fn is_default_steps(s: &[Step]) -> bool {
    s == Step::DEFAULT
}

fn is_default_step_timeout(d: &Duration) -> bool {
    *d == defaults::STEP_TIMEOUT
}

fn is_default_quiet(d: &Duration) -> bool {
    *d == defaults::QUIET
}

fn is_default_widget_timeout(d: &Duration) -> bool {
    *d == defaults::WIDGET_TIMEOUT
}

fn is_default_clock(c: &Clock) -> bool {
    *c == Clock::default()
}

/// A duration as the flags and the policy write it: `150ms`, `10s`.
mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        let ms = d.as_millis();
        if ms % 1000 == 0 {
            s.serialize_str(&format!("{}s", ms / 1000))
        } else {
            s.serialize_str(&format!("{ms}ms"))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        crate::vocab::parse_duration(&text).map_err(D::Error::custom)
    }
}

impl Settings {
    /// The options of a scan with these settings: the rule and word files read, the visitor's
    /// storage state too, and the whole checked (a withdrawal needs a consent given first).
    pub fn options(&self) -> Result<ScanOptions, OptionsError> {
        self.options_for(self.consent.action)
    }

    /// As [`Settings::options`], answering the banner with `action` (as that answer is given).
    pub fn options_for(
        &self,
        action: crate::vocab::ConsentAction,
    ) -> Result<ScanOptions, OptionsError> {
        let rules = CmpRules::with_user_files(&self.cmp_rules).map_err(OptionsError::Files)?;
        let mut consent = ConsentChoice::new(action, self.consent.method(action).clone(), rules);
        if !self.banner_words.is_empty() {
            consent.words =
                BannerWords::with_user_files(&self.banner_words).map_err(OptionsError::Files)?;
        }
        let mut settings = self.clone();
        let visitor = &mut settings.visitor;
        if let (None, Some(path)) = (&visitor.state, &visitor.storage_state) {
            let state = visitor::load_storage_state(std::path::Path::new(path))
                .map_err(OptionsError::StorageState)?;
            visitor.state = Some(state);
        }
        let opts = ScanOptions {
            url: String::new(),
            settings,
            consent,
            progress: false,
            screenshots: false,
        };
        opts.check()?;
        Ok(opts)
    }
}

/// Settings that make no scan's options.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    /// A consent-manager rule or banner-word file that cannot be read or is not valid.
    #[error(transparent)]
    Files(Error),
    /// The visitor's storage-state file.
    #[error(transparent)]
    StorageState(Error),
    #[error(transparent)]
    Invalid(#[from] InvalidOptions),
}

impl From<OptionsError> for Error {
    /// The files are input; the rest is how the scan was asked for.
    fn from(e: OptionsError) -> Error {
        match e {
            OptionsError::Files(e) | OptionsError::StorageState(e) => e,
            e => Error::usage(e),
        }
    }
}

/// How to run one scan: its [`Settings`] with what they name already read (the answer's
/// rules and words, the visitor's storage state), where, and how it reports as it goes.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub url: String,
    /// The settings, checked; `settings.visitor.state` is read.
    pub settings: Settings,
    /// The answer the consent step gives, with its rules and banner words read.
    pub consent: ConsentChoice,
    /// Print one line per finished step to standard error.
    pub progress: bool,
    /// Capture a PNG screenshot of the page after each step's snapshot (off by default: it costs time).
    pub screenshots: bool,
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
    /// The default settings, the banner accepted through the embedded consent-manager rules;
    /// `url` is empty until a target sets it.
    fn default() -> ScanOptions {
        ScanOptions {
            url: String::new(),
            settings: Settings::default(),
            consent: ConsentChoice::new(
                crate::vocab::ConsentAction::Accept,
                super::ConsentMethod::Auto,
                CmpRules::embedded().expect("the embedded CMP rules are valid"),
            ),
            progress: false,
            screenshots: false,
        }
    }
}

impl ScanOptions {
    /// More than the start page is visited.
    pub fn journey(&self) -> bool {
        self.settings.pages > 1 || !self.settings.asked_pages.is_empty()
    }

    /// Whether the options make one scan: a withdrawal needs a consent given first.
    pub fn check(&self) -> Result<(), InvalidOptions> {
        let s = &self.settings;
        if s.steps.contains(&Step::Withdraw)
            && (!s.steps.contains(&Step::Consent)
                || self.consent.action != crate::vocab::ConsentAction::Accept)
        {
            return Err(InvalidOptions::WithdrawWithoutConsent);
        }
        if s.pages == 0 {
            return Err(InvalidOptions::NoPages);
        }
        for p in &s.asked_pages {
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
