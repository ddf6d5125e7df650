//! Consent-manager rules: the model of what `catalog/cmps.toml` and user files say.
//!
//! The language (docs/cmp-rules.md): targets (CSS or XPath selectors, chains through shadow roots
//! and frames, alternatives), conditions (`exists`, `visible`, `cookie_contains`, `global`, `all`,
//! `any`, `not`), steps (`wait_click`, `click`, `wait`, `wait_for`, `eval`, `hide`, `pause`,
//! `if`/`then`/`else`, `any`, each `optional`), and where a rule runs (`main`, `frame`,
//! `url_pattern`). How each is written and read is `syntax`'s, a whole rules file's checks
//! `file`'s, the embedded and user rule sets `rules`'.

mod file;
mod rules;
mod syntax;

pub use rules::CmpRules;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Selectors written `xpath/<expression>` are XPath, as in DuckDuckGo autoconsent.
pub const XPATH_PREFIX: &str = "xpath/";

/// CSS selectors, each searched inside the previous match: in its shadow root, in its frame's
/// document when the match is an `<iframe>`, else among its descendants. A selector may be
/// XPath (`xpath/…`), evaluated with the previous match (or the document) as context node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain(pub Vec<String>);

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `>>>` is how shadow-piercing chains are commonly written (Puppeteer, Playwright).
        write!(f, "`{}`", self.0.join(" >>> "))
    }
}

/// Alternative selector chains, in order of preference. In a rules file: a selector (a one-selector
/// chain), or a list whose items are selectors or chains (lists of selectors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(pub Vec<Chain>);

impl Targets {
    pub fn chains(&self) -> impl Iterator<Item = &Chain> {
        self.0.iter()
    }
}

impl fmt::Display for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self.0.iter().map(Chain::to_string).collect();
        f.write_str(&all.join(" or "))
    }
}

/// How many of a target's matches a `visible` condition wants visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// At least one match is visible.
    #[default]
    Any,
    /// There is a match, and every match is visible.
    All,
    /// No match is visible (none at all counts).
    None,
}

/// A test of the page, made in the rule's document (the top one, or the frame it runs in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// An alternative matches an element.
    Exists(Targets),
    /// The matches of the alternatives are visible, as `Check` asks.
    Visible(Targets, Check),
    /// `document.cookie` contains the text.
    CookieContains(String),
    /// A window property of the page is defined (a dotted path: `Osano.cm`); top document only.
    Global(String),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

/// How a consent manager is recognised on a page.
pub type Detect = Condition;

impl Condition {
    /// True when a `global` appears anywhere in the condition.
    pub fn uses_global(&self) -> bool {
        match self {
            Condition::Global(_) => true,
            Condition::All(c) | Condition::Any(c) => c.iter().any(Condition::uses_global),
            Condition::Not(c) => c.uses_global(),
            _ => false,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, word: &str, c: &[Condition]| {
            let parts: Vec<String> = c.iter().map(Condition::to_string).collect();
            write!(f, "{word} of ({})", parts.join(", "))
        };
        match self {
            Condition::Exists(t) => write!(f, "{t} exists"),
            Condition::Visible(t, Check::Any) => write!(f, "{t} visible"),
            Condition::Visible(t, Check::All) => write!(f, "{t} all visible"),
            Condition::Visible(t, Check::None) => write!(f, "{t} not visible"),
            Condition::CookieContains(s) => write!(f, "cookie contains {s:?}"),
            Condition::Global(g) => write!(f, "global {g}"),
            Condition::All(c) => list(f, "all", c),
            Condition::Any(c) => list(f, "any", c),
            Condition::Not(c) => write!(f, "not ({c})"),
        }
    }
}

/// One step of an accept or reject sequence, and whether its failure is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleStep {
    pub action: Action,
    /// A failure does not stop the sequence (`optional = true`; a plain `click` is optional
    /// unless it says `optional = false`).
    pub optional: bool,
}

/// A click on a target's match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    pub targets: Targets,
    /// `wait_click`: wait (bounded) for a match; `click`: look once.
    pub wait: bool,
    /// A match counts once present: a hidden or disabled one is clicked with `el.click()` in its
    /// frame (DuckDuckGo autoconsent's clicks), a visible one with the mouse.
    pub hidden: bool,
    /// Every match of the first alternative that has any, each with `el.click()`.
    pub all: bool,
    /// The rule's own bound on the wait; the engine's bound still applies.
    pub timeout: Option<Duration>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `wait_click` and `click`.
    Click(Click),
    /// Wait (bounded) until one alternative is present.
    Wait(Targets, Option<Duration>),
    /// Wait (bounded, on the page's clock) until the condition holds.
    WaitFor(Condition, Option<Duration>),
    /// Evaluate JavaScript in the page; the step fails if it throws or returns `false`.
    Eval(String),
    /// Hide every match (cosmetic: an overlay that outlives the answer); never fails.
    Hide(Targets),
    /// Let the page live this long on its own clock (a CMP's animation); never fails.
    Pause(Duration),
    /// Run `then` when the condition holds, else `otherwise`; fails when the branch run fails.
    If {
        condition: Condition,
        then: Vec<RuleStep>,
        otherwise: Vec<RuleStep>,
    },
    /// Run each step in turn until one succeeds; fails when none does.
    Any(Vec<RuleStep>),
}

impl RuleStep {
    /// A required step.
    pub fn new(action: Action) -> RuleStep {
        RuleStep {
            action,
            optional: false,
        }
    }

    /// The step's name as written in a rules file.
    pub fn kind(&self) -> &'static str {
        match &self.action {
            Action::Click(c) if c.wait => "wait_click",
            Action::Click(_) => "click",
            Action::Wait(..) => "wait",
            Action::WaitFor(..) => "wait_for",
            Action::Eval(_) => "eval",
            Action::Hide(_) => "hide",
            Action::Pause(_) => "pause",
            Action::If { .. } => "if",
            Action::Any(_) => "any",
        }
    }

    /// True for the steps that answer the banner (a click or a script), or hold one.
    pub fn acts(&self) -> bool {
        match &self.action {
            Action::Click(_) | Action::Eval(_) => true,
            Action::If {
                then, otherwise, ..
            } => then.iter().chain(otherwise).any(RuleStep::acts),
            Action::Any(steps) => steps.iter().any(RuleStep::acts),
            _ => false,
        }
    }

    /// This step and every step nested in it.
    fn walk<'s>(&'s self, out: &mut Vec<&'s RuleStep>) {
        out.push(self);
        match &self.action {
            Action::If {
                then, otherwise, ..
            } => then.iter().chain(otherwise).for_each(|s| s.walk(out)),
            Action::Any(steps) => steps.iter().for_each(|s| s.walk(out)),
            _ => {}
        }
    }
}

/// Where a rule runs: the top document, frames, and which URLs.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// In the top document (`main`, default true).
    pub main: bool,
    /// In frames, at any depth (`frame`, default false): every target is then searched from
    /// the frame's document.
    pub frame: bool,
    /// Only in documents whose URL matches (`url_pattern`).
    pub url_pattern: Option<UrlPattern>,
}

impl Default for RunContext {
    fn default() -> Self {
        RunContext {
            main: true,
            frame: false,
            url_pattern: None,
        }
    }
}

impl RunContext {
    /// Whether a document at `url` is one the rule runs in.
    pub fn applies(&self, top: bool, url: &str) -> bool {
        (if top { self.main } else { self.frame })
            && self.url_pattern.as_ref().is_none_or(|p| p.is_match(url))
    }
}

/// A regular expression over a document's URL (the JavaScript syntax autoconsent writes; Rust's
/// `regex` accepts what its rules use, lookaround and back-references excepted).
#[derive(Debug, Clone)]
pub struct UrlPattern {
    pub text: String,
    regex: regex::Regex,
}

/// A `url_pattern` that is no regular expression `regex` accepts.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`url_pattern` is not a valid regular expression: {0}")]
pub struct InvalidUrlPattern(regex::Error);

impl UrlPattern {
    pub fn new(text: &str) -> Result<UrlPattern, InvalidUrlPattern> {
        regex::Regex::new(text)
            .map(|regex| UrlPattern {
                text: text.to_string(),
                regex,
            })
            .map_err(InvalidUrlPattern)
    }

    /// Unanchored, like JavaScript's `String.prototype.match`.
    pub fn is_match(&self, url: &str) -> bool {
        self.regex.is_match(url)
    }
}

/// One consent manager and how to answer its banner.
#[derive(Debug, Clone)]
pub struct Cmp {
    pub id: String,
    pub name: String,
    pub detect: Condition,
    /// Its banner is showing while this holds.
    pub shown: Condition,
    pub accept: Vec<RuleStep>,
    pub reject: Vec<RuleStep>,
    /// After the accept (reject) steps: what must hold for the answer to have taken (autoconsent's
    /// `test`), checked on the page's clock within a bound.
    pub accept_check: Option<Condition>,
    pub reject_check: Option<Condition>,
    /// The CMP's own record of the visitor's choice: its keys, and how to read the choice.
    pub record: Option<Record>,
    /// How a visitor gets back into its settings to withdraw consent.
    pub withdraw: Option<Withdraw>,
    /// Where the rule runs.
    pub run: RunContext,
    /// Where the rule comes from, when imported (`autoconsent 16.23.0 rules/autoconsent/x.json`).
    pub source: Option<String>,
    /// The file it was loaded from.
    pub file: String,
}

/// Where a CMP keeps the visitor's answer (`record = { keys = [...], choice = "..." }`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The cookie or storage names holding the record (strictly necessary: they store the
    /// choice itself).
    #[serde(default)]
    pub keys: Vec<String>,
    /// A JavaScript expression, evaluated in the page, that reads the recorded choice:
    /// `"accept"` (everything), `"reject"` (only what is strictly necessary), `"partial"`, or
    /// null while nothing is recorded.
    pub choice: Option<String>,
}

/// How a visitor withdraws consent given through a CMP (`[cmp.withdraw]`): its way back into
/// the settings, then the refusal in them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// Steps that reopen the settings the way a visitor does: a floating button, a footer link
    /// (the step language of `accept` and `reject`).
    #[serde(default)]
    pub open: Vec<RuleStep>,
    /// Steps that refuse in the reopened settings (unticking and saving, "reject all"); without
    /// them the rule's `reject` steps answer the settings as they answer the banner.
    #[serde(default)]
    pub steps: Vec<RuleStep>,
    /// The CMP's documented call that withdraws consent, for a site that shows the visitor no
    /// control to reopen the settings; it must leave the refusal recorded.
    #[serde(default)]
    pub api: Option<String>,
}

impl Cmp {
    /// The accept or the reject sequence.
    pub fn steps(&self, reject: bool) -> &[RuleStep] {
        if reject { &self.reject } else { &self.accept }
    }

    /// What must hold after the accept or the reject sequence.
    pub fn check(&self, reject: bool) -> Option<&Condition> {
        if reject {
            self.reject_check.as_ref()
        } else {
            self.accept_check.as_ref()
        }
    }
}

#[cfg(test)]
mod tests;
