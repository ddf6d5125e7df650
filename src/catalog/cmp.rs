//! Consent-manager rules as written in `catalog/cmps.toml` and user files: parsing and validation.
//!
//! The language (docs/cmp-rules.md): targets (CSS or XPath selectors, chains through shadow roots
//! and frames, alternatives), conditions (`exists`, `visible`, `cookie_contains`, `global`, `all`,
//! `any`, `not`), steps (`wait_click`, `click`, `wait`, `wait_for`, `eval`, `hide`, `pause`,
//! `if`/`then`/`else`, `any`, each `optional`), and where a rule runs (`main`, `frame`,
//! `url_pattern`).

use crate::diagnostic::{Diagnostic, Diagnostics};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use toml::Spanned;

/// The embedded rules files, in the order their rules are tried: the hand-written rules first.
const EMBEDDED: &[(&str, &str)] = &[
    ("catalog/cmps.toml", include_str!("../../catalog/cmps.toml")),
    // DuckDuckGo autoconsent's rules (MPL-2.0), by scripts/autoconsent-import.mjs.
    (
        "catalog/autoconsent.toml",
        include_str!("../../catalog/autoconsent.toml"),
    ),
];

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
pub struct Step {
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
        then: Vec<Step>,
        otherwise: Vec<Step>,
    },
    /// Run each step in turn until one succeeds; fails when none does.
    Any(Vec<Step>),
}

impl Step {
    /// A required step.
    pub fn new(action: Action) -> Step {
        Step {
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
            } => then.iter().chain(otherwise).any(Step::acts),
            Action::Any(steps) => steps.iter().any(Step::acts),
            _ => false,
        }
    }

    /// This step and every step nested in it.
    fn walk<'s>(&'s self, out: &mut Vec<&'s Step>) {
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
    pub accept: Vec<Step>,
    pub reject: Vec<Step>,
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
    pub open: Vec<Step>,
    /// Steps that refuse in the reopened settings (unticking and saving, "reject all"); without
    /// them the rule's `reject` steps answer the settings as they answer the banner.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// The CMP's documented call that withdraws consent, for a site that shows the visitor no
    /// control to reopen the settings; it must leave the refusal recorded.
    #[serde(default)]
    pub api: Option<String>,
}

impl Cmp {
    /// The accept or the reject sequence.
    pub fn steps(&self, reject: bool) -> &[Step] {
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

/// The consent-manager rules: the embedded ones, plus any user files. Cloning is cheap.
#[derive(Clone)]
pub struct CmpRules {
    cmps: Arc<[Cmp]>,
    version: String,
}

impl fmt::Debug for CmpRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CmpRules")
            .field("version", &self.version)
            .field("ids", &self.ids())
            .finish()
    }
}

/// In a report the rules are named by their version (content hashes), not repeated.
impl Serialize for CmpRules {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.version)
    }
}

/// A rules file's name and text.
struct RulesText {
    file: String,
    text: String,
}

/// A parsed rule, its `replace` flag and the span of its id.
type Parsed = (Cmp, bool, Range<usize>);

impl CmpRules {
    /// The rules compiled into the binary (`catalog/cmps.toml`, then `catalog/autoconsent.toml`).
    pub fn embedded() -> Result<CmpRules, Diagnostics> {
        // Parsed once per process: hundreds of rules, and callers ask per scan.
        static EMBEDDED_RULES: OnceLock<Result<CmpRules, Diagnostics>> = OnceLock::new();
        EMBEDDED_RULES
            .get_or_init(|| {
                let texts = embedded_texts();
                Ok(CmpRules {
                    cmps: merge(Vec::new(), &texts, false)?.into(),
                    version: format!("cmps.{}", short_hash(&texts)),
                })
            })
            .clone()
    }

    /// The embedded rules plus the user's files, in order. A user entry whose id is already
    /// defined must say `replace = true`.
    pub fn with_user_files(paths: &[impl AsRef<Path>]) -> anyhow::Result<CmpRules> {
        let mut user = Vec::new();
        for p in paths {
            let p = p.as_ref();
            user.push(RulesText {
                file: p.display().to_string(),
                text: super::read_text(p)?,
            });
        }
        Ok(Self::build(&user)?)
    }

    /// The embedded rules plus user files given as text (for tests and callers without files).
    pub fn with_user_texts(texts: &[(&str, &str)]) -> Result<CmpRules, Diagnostics> {
        let user: Vec<RulesText> = texts
            .iter()
            .map(|(file, text)| RulesText {
                file: file.to_string(),
                text: text.to_string(),
            })
            .collect();
        Self::build(&user)
    }

    /// Every CMP id, in the order candidates are tried.
    pub fn ids(&self) -> Vec<&str> {
        self.cmps.iter().map(|c| c.id.as_str()).collect()
    }

    pub fn cmps(&self) -> &[Cmp] {
        &self.cmps
    }

    /// The CMP with this id.
    pub fn get(&self, id: &str) -> Option<&Cmp> {
        self.cmps.iter().find(|c| c.id == id)
    }

    /// The rules `keep` keeps, in order (measurements on part of the rules).
    #[cfg(test)]
    pub(crate) fn subset(&self, keep: impl Fn(&Cmp) -> bool) -> CmpRules {
        CmpRules {
            cmps: self.cmps.iter().filter(|c| keep(c)).cloned().collect(),
            version: format!("{}+subset", self.version),
        }
    }

    /// `cmps.<hash>` of the embedded files, plus `+user.<hash>` when user files were added.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The embedded rules (parsed once) plus `user`'s.
    fn build(user: &[RulesText]) -> Result<CmpRules, Diagnostics> {
        let base = Self::embedded()?;
        if user.is_empty() {
            return Ok(base);
        }
        let cmps = merge(base.cmps.to_vec(), user, true)?;
        Ok(CmpRules {
            cmps: cmps.into(),
            version: format!("{}+user.{}", base.version, short_hash(user)),
        })
    }
}

/// Adds each file's rules to `cmps`, in order; a user file may replace a rule by id.
fn merge(mut cmps: Vec<Cmp>, texts: &[RulesText], user: bool) -> Result<Vec<Cmp>, Diagnostics> {
    let mut errors = Vec::new();
    for t in texts {
        let parsed = match parse_file(&t.file, &t.text) {
            Ok(p) => p,
            Err(mut d) => {
                errors.append(&mut d.0);
                continue;
            }
        };
        for (cmp, replace, id_span) in parsed {
            let at = |msg: String| Diagnostic::at(&t.file, &t.text, id_span.clone(), msg);
            match cmps.iter().position(|c| c.id == cmp.id) {
                Some(pos) if replace && user => cmps[pos] = cmp,
                Some(pos) => errors.push(at(format!(
                    "CMP id `{}` is already defined in {}; set `replace = true` to replace it",
                    cmp.id, cmps[pos].file
                ))),
                None if replace => errors.push(at(format!(
                    "`replace = true`, but no CMP `{}` is defined before this file",
                    cmp.id
                ))),
                None => cmps.push(cmp),
            }
        }
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(cmps)
}

fn embedded_texts() -> Vec<RulesText> {
    EMBEDDED
        .iter()
        .map(|(file, text)| RulesText {
            file: file.to_string(),
            text: text.to_string(),
        })
        .collect()
}

fn short_hash(texts: &[RulesText]) -> String {
    super::files_hash(texts.iter().map(|t| (t.file.as_str(), t.text.as_str())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    cmp: Vec<RawCmp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCmp {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    replace: bool,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    main: Option<Spanned<bool>>,
    #[serde(default)]
    frame: bool,
    #[serde(default)]
    url_pattern: Option<Spanned<String>>,
    detect: Spanned<DetectSpec>,
    shown: Spanned<Shown>,
    accept: Spanned<Vec<Step>>,
    reject: Spanned<Vec<Step>>,
    #[serde(default)]
    accept_check: Option<Spanned<Condition>>,
    #[serde(default)]
    reject_check: Option<Spanned<Condition>>,
    #[serde(default)]
    record: Option<Record>,
    #[serde(default)]
    withdraw: Option<Spanned<Withdraw>>,
}

/// Parses and validates one rules file: each CMP with its `replace` flag and the span of its id.
fn parse_file(file: &str, text: &str) -> Result<Vec<Parsed>, Diagnostics> {
    let raw: RulesFile = toml::from_str(text)
        .map_err(|e| Diagnostics(vec![Diagnostic::from_toml(file, text, &e)]))?;
    let mut errors = Vec::new();
    let mut out: Vec<Parsed> = Vec::new();
    let at = |span: Range<usize>, msg: String| Diagnostic::at(file, text, span, msg);
    for c in raw.cmp {
        let id = c.id.get_ref().clone();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            errors.push(at(
                c.id.span(),
                format!("CMP id `{id}` must be lowercase letters, digits and `-`"),
            ));
        }
        if out.iter().any(|(o, _, _)| o.id == id) {
            errors.push(at(
                c.id.span(),
                format!("CMP id `{id}` is defined twice in this file"),
            ));
        }
        if c.name.get_ref().trim().is_empty() {
            errors.push(at(c.name.span(), "`name` is empty".into()));
        }
        let main = c.main.as_ref().is_none_or(|m| *m.get_ref());
        if let Some(m) = c.main.as_ref().filter(|_| !main && !c.frame) {
            errors.push(at(
                m.span(),
                "`main = false` without `frame = true`: the rule would run nowhere".into(),
            ));
        }
        let url_pattern = match &c.url_pattern {
            Some(p) => match UrlPattern::new(p.get_ref()) {
                Ok(u) => Some(u),
                Err(e) => {
                    errors.push(at(p.span(), e.to_string()));
                    None
                }
            },
            None => None,
        };
        let detect_span = c.detect.span();
        let detect = c.detect.into_inner().0;
        let shown_span = c.shown.span();
        let shown = c.shown.into_inner().0;
        if matches!(&detect, Condition::Any(a) if a.is_empty()) {
            errors.push(at(
                detect_span.clone(),
                format!(
                    "`detect` needs `present` selectors or `globals`, or a condition ({CONDITION_KINDS})"
                ),
            ));
        }
        if matches!(&shown, Condition::Visible(t, _) if t.0.is_empty()) {
            errors.push(at(
                shown_span.clone(),
                "`shown` needs at least one selector".into(),
            ));
        }
        // A frame's own page globals are out of reach (the engine reads the top page's).
        if c.frame {
            for (what, cond, span) in [
                ("detect", Some(&detect), detect_span.clone()),
                ("shown", Some(&shown), shown_span.clone()),
                (
                    "accept_check",
                    c.accept_check.as_ref().map(Spanned::get_ref),
                    c.accept_check.as_ref().map_or(0..0, Spanned::span),
                ),
                (
                    "reject_check",
                    c.reject_check.as_ref().map(Spanned::get_ref),
                    c.reject_check.as_ref().map_or(0..0, Spanned::span),
                ),
            ] {
                if cond.is_some_and(Condition::uses_global) {
                    errors.push(at(
                        span,
                        format!(
                            "`{what}`: a `global` cannot be read in a rule that runs in frames"
                        ),
                    ));
                }
            }
        }
        if let Some(w) = &c.withdraw
            && w.get_ref().open.is_empty()
            && w.get_ref().api.is_none()
        {
            errors.push(at(
                w.span(),
                "`withdraw` needs `open` steps (the visitor's way back) or an `api` call".into(),
            ));
        }
        for (name, seq) in [("accept", &c.accept), ("reject", &c.reject)] {
            if !seq.get_ref().iter().any(Step::acts) {
                errors.push(at(
                    seq.span(),
                    format!(
                        "`{name}` has no step that answers the banner (wait_click, click or eval)"
                    ),
                ));
            }
            let mut all = Vec::new();
            seq.get_ref().iter().for_each(|s| s.walk(&mut all));
            for step in all {
                let problem = match &step.action {
                    Action::Eval(_) if c.frame => {
                        Some("an `eval` step runs in the top page, not in a frame rule's frame")
                    }
                    Action::WaitFor(cond, _)
                    | Action::If {
                        condition: cond, ..
                    } if c.frame && cond.uses_global() => {
                        Some("a `global` cannot be read in a rule that runs in frames")
                    }
                    _ => None,
                };
                if let Some(p) = problem {
                    errors.push(at(seq.span(), format!("`{name}`: {p}")));
                }
            }
        }
        out.push((
            Cmp {
                id,
                name: c.name.into_inner(),
                detect,
                shown,
                accept: c.accept.into_inner(),
                reject: c.reject.into_inner(),
                accept_check: c.accept_check.map(Spanned::into_inner),
                reject_check: c.reject_check.map(Spanned::into_inner),
                record: c.record,
                withdraw: c.withdraw.map(Spanned::into_inner),
                run: RunContext {
                    main,
                    frame: c.frame,
                    url_pattern,
                },
                source: c.source,
                file: file.to_string(),
            },
            c.replace,
            c.id.span(),
        ));
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(out)
}

/// `Name` or `Name.sub.path`, each part a JavaScript identifier.
fn is_global_path(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}

fn global<E: de::Error>(g: &str) -> Result<String, E> {
    if !is_global_path(g) {
        return Err(E::custom(format!(
            "`{g}` is not a global name or dotted path (e.g. `Cookiebot` or `UC_UI.isInitialized`)"
        )));
    }
    Ok(g.to_string())
}

/// A selector as written: non-empty once trimmed (an XPath one too, after its prefix).
fn selector<E: de::Error>(s: &str) -> Result<String, E> {
    let t = s.trim();
    if t.is_empty() {
        return Err(E::custom("empty CSS selector"));
    }
    if t.strip_prefix(XPATH_PREFIX)
        .is_some_and(|x| x.trim().is_empty())
    {
        return Err(E::custom("empty XPath selector after `xpath/`"));
    }
    Ok(t.to_string())
}

impl<'de> Deserialize<'de> for Chain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChainVisitor;
        impl<'de> Visitor<'de> for ChainVisitor {
            type Value = Chain;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CSS selector, or a list of CSS selectors (a chain)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Chain, E> {
                Ok(Chain(vec![selector(s)?]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Chain, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(selector(&s)?);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("empty selector chain"));
                }
                Ok(Chain(out))
            }
        }
        d.deserialize_any(ChainVisitor)
    }
}

impl<'de> Deserialize<'de> for Targets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TargetsVisitor;
        impl<'de> Visitor<'de> for TargetsVisitor {
            type Value = Targets;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a CSS selector, or a list of alternatives (selectors, or chains written as lists of selectors)",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Targets, E> {
                Ok(Targets(vec![Chain(vec![selector(s)?])]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Targets, A::Error> {
                let mut out = Vec::new();
                while let Some(c) = seq.next_element::<Chain>()? {
                    out.push(c);
                }
                Ok(Targets(out))
            }
        }
        d.deserialize_any(TargetsVisitor)
    }
}

/// A non-empty target.
fn targets<E: de::Error>(key: &str, t: Targets) -> Result<Targets, E> {
    if t.0.is_empty() {
        return Err(E::custom(format!("`{key}` needs at least one selector")));
    }
    Ok(t)
}

/// A condition as written: one kind, and `check` with `visible` only.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    exists: Option<Targets>,
    visible: Option<Targets>,
    check: Option<Check>,
    cookie_contains: Option<String>,
    global: Option<String>,
    all: Option<Vec<Condition>>,
    any: Option<Vec<Condition>>,
    not: Option<Box<Condition>>,
}

const CONDITION_KINDS: &str =
    "`exists`, `visible`, `cookie_contains`, `global`, `all`, `any` or `not`";

impl RawCondition {
    fn build<E: de::Error>(self) -> Result<Condition, E> {
        let mut kinds: Vec<Condition> = Vec::new();
        let mut named = Vec::new();
        if let Some(t) = self.exists {
            named.push("exists");
            kinds.push(Condition::Exists(targets("exists", t)?));
        }
        if let Some(t) = self.visible {
            named.push("visible");
            kinds.push(Condition::Visible(
                targets("visible", t)?,
                self.check.unwrap_or_default(),
            ));
        } else if self.check.is_some() {
            return Err(E::custom("`check` goes with `visible`"));
        }
        if let Some(s) = self.cookie_contains {
            named.push("cookie_contains");
            if s.is_empty() {
                return Err(E::custom("`cookie_contains` is empty"));
            }
            kinds.push(Condition::CookieContains(s));
        }
        if let Some(g) = self.global {
            named.push("global");
            kinds.push(Condition::Global(global(&g)?));
        }
        for (key, list) in [("all", self.all), ("any", self.any)] {
            if let Some(list) = list {
                named.push(key);
                if list.is_empty() {
                    return Err(E::custom(format!("`{key}` needs at least one condition")));
                }
                kinds.push(if key == "all" {
                    Condition::All(list)
                } else {
                    Condition::Any(list)
                });
            }
        }
        if let Some(c) = self.not {
            named.push("not");
            kinds.push(Condition::Not(c));
        }
        match kinds.len() {
            1 => Ok(kinds.pop().expect("one")),
            0 => Err(E::custom(format!(
                "a condition needs one of {CONDITION_KINDS}"
            ))),
            _ => Err(E::custom(format!(
                "a condition has one kind, this one has {} (use `all` to combine)",
                named.join(" and ")
            ))),
        }
    }
}

/// Checks a table's contents inside its own `visit_map`, where the TOML deserializer still knows
/// the table's span: an error then points at the table, not at the array around it.
struct InTable<T>(std::marker::PhantomData<T>);

/// A raw table and how it becomes the value.
trait Build<'de>: Deserialize<'de> {
    type Out;
    const EXPECTING: &'static str;
    fn build<E: de::Error>(self) -> Result<Self::Out, E>;
}

impl<'de, T: Build<'de>> Visitor<'de> for InTable<T> {
    type Value = T::Out;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T::Out, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))?.build()
    }
}

fn in_table<'de, T: Build<'de>, D: Deserializer<'de>>(d: D) -> Result<T::Out, D::Error> {
    d.deserialize_map(InTable::<T>(std::marker::PhantomData))
}

impl<'de> Build<'de> for RawCondition {
    type Out = Condition;
    const EXPECTING: &'static str = "a condition table";
    fn build<E: de::Error>(self) -> Result<Condition, E> {
        RawCondition::build(self)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        in_table::<RawCondition, D>(d)
    }
}

/// `detect`: the old `{ present = T, globals = [...] }` (any present, any defined), or a condition.
struct DetectSpec(Condition);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    present: Option<Targets>,
    globals: Option<Vec<String>>,
    exists: Option<Targets>,
    visible: Option<Targets>,
    check: Option<Check>,
    cookie_contains: Option<String>,
    global: Option<String>,
    all: Option<Vec<Condition>>,
    any: Option<Vec<Condition>>,
    not: Option<Box<Condition>>,
}

impl<'de> Deserialize<'de> for DetectSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        in_table::<RawDetect, D>(d)
    }
}

impl<'de> Build<'de> for RawDetect {
    type Out = DetectSpec;
    const EXPECTING: &'static str = "a table: `present`/`globals`, or a condition";
    fn build<E: de::Error>(self) -> Result<DetectSpec, E> {
        let r = self;
        let old = r.present.is_some() || r.globals.is_some();
        let cond = RawCondition {
            exists: r.exists,
            visible: r.visible,
            check: r.check,
            cookie_contains: r.cookie_contains,
            global: r.global,
            all: r.all,
            any: r.any,
            not: r.not,
        };
        let empty = cond.exists.is_none()
            && cond.visible.is_none()
            && cond.check.is_none()
            && cond.cookie_contains.is_none()
            && cond.global.is_none()
            && cond.all.is_none()
            && cond.any.is_none()
            && cond.not.is_none();
        if !old && !empty {
            return Ok(DetectSpec(cond.build()?));
        }
        if !empty {
            return Err(E::custom(
                "`detect` is either `present`/`globals` or a condition, not both (wrap them in `any`)",
            ));
        }
        let mut any: Vec<Condition> = r
            .present
            .unwrap_or(Targets(Vec::new()))
            .0
            .into_iter()
            .map(|c| Condition::Exists(Targets(vec![c])))
            .collect();
        for g in r.globals.unwrap_or_default() {
            any.push(Condition::Global(global(&g)?));
        }
        // Empty: reported with the rule's other problems (parse_file).
        Ok(DetectSpec(Condition::Any(any)))
    }
}

/// `shown`: targets (the banner shows while one is visible), or a condition.
struct Shown(Condition);

impl<'de> Deserialize<'de> for Shown {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ShownVisitor;
        impl<'de> Visitor<'de> for ShownVisitor {
            type Value = Shown;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("selectors (visible when one is), or a condition table")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Shown, E> {
                let t = Targets(vec![Chain(vec![selector(s)?])]);
                Ok(Shown(Condition::Visible(t, Check::Any)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shown, A::Error> {
                // Empty: reported with the rule's other problems (parse_file).
                let t = Targets::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(Shown(Condition::Visible(t, Check::Any)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Shown, A::Error> {
                Condition::deserialize(MapAccessDeserializer::new(map)).map(Shown)
            }
        }
        d.deserialize_any(ShownVisitor)
    }
}

/// A step as written: one action, with the options that go with it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    wait_click: Option<Targets>,
    click: Option<Targets>,
    wait: Option<Targets>,
    wait_for: Option<Condition>,
    eval: Option<String>,
    hide: Option<Targets>,
    pause: Option<u64>,
    #[serde(rename = "if")]
    if_: Option<Condition>,
    then: Option<Vec<Step>>,
    #[serde(rename = "else")]
    else_: Option<Vec<Step>>,
    any: Option<Vec<Step>>,
    optional: Option<bool>,
    hidden: Option<bool>,
    all: Option<bool>,
    timeout: Option<u64>,
}

const STEP_KINDS: &str =
    "`wait_click`, `click`, `wait`, `wait_for`, `eval`, `hide`, `pause`, `if` or `any`";

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        in_table::<RawStep, D>(d)
    }
}

impl<'de> Build<'de> for RawStep {
    type Out = Step;
    const EXPECTING: &'static str = "a step table";
    fn build<E: de::Error>(self) -> Result<Step, E> {
        let r = self;
        let err = |m: String| -> E { E::custom(m) };
        let ms = Duration::from_millis;
        let mut actions: Vec<(&str, Action)> = Vec::new();
        let timeout = r.timeout.map(ms);
        for (key, t, wait) in [
            ("wait_click", r.wait_click, true),
            ("click", r.click, false),
        ] {
            if let Some(t) = t {
                actions.push((
                    key,
                    Action::Click(Click {
                        targets: targets(key, t)?,
                        wait,
                        hidden: r.hidden.unwrap_or(false),
                        all: r.all.unwrap_or(false),
                        timeout,
                    }),
                ));
            }
        }
        if let Some(t) = r.wait {
            actions.push(("wait", Action::Wait(targets("wait", t)?, timeout)));
        }
        if let Some(c) = r.wait_for {
            actions.push(("wait_for", Action::WaitFor(c, timeout)));
        }
        if let Some(js) = r.eval {
            if js.trim().is_empty() {
                return Err(err("an `eval` step is empty".into()));
            }
            actions.push(("eval", Action::Eval(js)));
        }
        if let Some(t) = r.hide {
            actions.push(("hide", Action::Hide(targets("hide", t)?)));
        }
        if let Some(p) = r.pause {
            actions.push(("pause", Action::Pause(ms(p))));
        }
        match (r.if_, r.then, r.else_) {
            (Some(condition), Some(then), otherwise) => actions.push((
                "if",
                Action::If {
                    condition,
                    then,
                    otherwise: otherwise.unwrap_or_default(),
                },
            )),
            (Some(_), None, _) => return Err(err("an `if` step needs `then`".into())),
            (None, Some(_), _) | (None, _, Some(_)) => {
                return Err(err("`then` and `else` go with `if`".into()));
            }
            (None, None, None) => {}
        }
        if let Some(steps) = r.any {
            if steps.is_empty() {
                return Err(err("`any` needs at least one step".into()));
            }
            actions.push(("any", Action::Any(steps)));
        }
        let (key, action) = match actions.len() {
            1 => actions.pop().expect("one"),
            0 => return Err(err(format!("a step needs one of {STEP_KINDS}"))),
            _ => {
                let keys: Vec<&str> = actions.iter().map(|(k, _)| *k).collect();
                return Err(err(format!(
                    "a step does one thing, this one has {} (write one step each)",
                    keys.join(" and ")
                )));
            }
        };
        let is_click = matches!(key, "wait_click" | "click");
        if !is_click && (r.hidden.is_some() || r.all.is_some()) {
            return Err(err(format!(
                "`hidden` and `all` go with `wait_click` and `click`, not `{key}`"
            )));
        }
        if r.timeout.is_some() && !matches!(key, "wait_click" | "wait" | "wait_for") {
            return Err(err(format!(
                "`timeout` goes with `wait_click`, `wait` and `wait_for`, not `{key}`"
            )));
        }
        // A plain click was optional before steps could say so: it stays so unless told.
        let optional = r.optional.unwrap_or(key == "click");
        Ok(Step { action, optional })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r##"
[[cmp]]
id = "acme"
name = "Acme CMP"
detect = { present = ["#acme", ["#acme-host", "#inner"]], globals = ["Acme.api"] }
shown = "#acme"
accept = [{ wait_click = ["#yes", "#ok"] }]
reject = [{ click = "#more" }, { wait_click = [["#acme-frame", "#no"]] }]
"##;

    #[test]
    fn every_embedded_cmp_has_detect_shown_accept_and_reject() {
        let rules = CmpRules::embedded().unwrap_or_else(|d| panic!("{d}"));
        assert!(rules.ids().len() >= 23, "{:?}", rules.ids());
        for c in rules.cmps() {
            assert!(c.accept.iter().any(Step::acts), "{}", c.id);
            assert!(c.reject.iter().any(Step::acts), "{}", c.id);
        }
    }

    #[test]
    fn the_embedded_rules_cover_the_cmps_of_the_notes() {
        let rules = CmpRules::embedded().unwrap();
        for id in [
            "onetrust",
            "cookiebot",
            "didomi",
            "usercentrics",
            "quantcast",
            "trustarc",
            "complianz",
            "cookieyes",
            "klaro",
            "cookieconsent-v3",
            "cookieconsent-v2",
            "osano-cookieconsent",
            "osano",
            "iubenda",
            "axeptio",
            "borlabs",
            "termly",
            "sourcepoint",
            "consentmanager",
            "funding-choices",
            "cookie-script",
            "tarteaucitron",
            "piwik-pro",
        ] {
            assert!(rules.get(id).is_some(), "no rule for {id}");
        }
    }

    fn chain(s: &[&str]) -> Chain {
        Chain(s.iter().map(|x| x.to_string()).collect())
    }

    fn one(s: &str) -> Targets {
        Targets(vec![chain(&[s])])
    }

    #[test]
    fn selectors_chains_and_alternatives_parse() {
        let rules = CmpRules::with_user_texts(&[("one.toml", ONE)]).unwrap();
        let acme = rules.get("acme").unwrap();
        // The old `present`/`globals` detect is any of them.
        assert_eq!(
            acme.detect,
            Condition::Any(vec![
                Condition::Exists(one("#acme")),
                Condition::Exists(Targets(vec![chain(&["#acme-host", "#inner"])])),
                Condition::Global("Acme.api".into()),
            ])
        );
        assert_eq!(acme.shown, Condition::Visible(one("#acme"), Check::Any));
        assert_eq!(
            acme.accept,
            [Step::new(Action::Click(Click {
                targets: Targets(vec![chain(&["#yes"]), chain(&["#ok"])]),
                wait: true,
                hidden: false,
                all: false,
                timeout: None,
            }))]
        );
        assert_eq!(acme.reject.len(), 2);
        assert_eq!(acme.reject[0].kind(), "click");
        assert!(acme.reject[0].optional, "a plain click stays optional");
        assert_eq!(acme.reject[1].kind(), "wait_click");
        assert!(!acme.reject[1].optional);
        assert_eq!(chain(&["#a", "b"]).to_string(), "`#a >>> b`");
        assert!(rules.version().contains("+user."), "{}", rules.version());
        assert!(acme.run.main && !acme.run.frame && acme.run.url_pattern.is_none());
    }

    #[test]
    fn a_malformed_file_is_reported_at_its_line_and_column() {
        let text = "[[cmp]]\nid = \"x\"\nname = \"X\"\ndetect = { present = \"#x\" }\nshown = \"#x\"\naccept = [{ clik = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
        let err = CmpRules::with_user_texts(&[("bad.toml", text)]).unwrap_err();
        let d = &err.0[0];
        assert_eq!((d.file.as_str(), d.line), ("bad.toml", 6), "{err}");
        assert!(d.column > 1, "{err}");
        assert!(d.message.contains("clik"), "{err}");

        let syntax = "[[cmp]]\nid = \"x\nname = 1\n";
        let err = CmpRules::with_user_texts(&[("syntax.toml", syntax)]).unwrap_err();
        assert_eq!(err.0[0].line, 2, "{err}");

        let empty = "[[cmp]]\nid = \"x\"\nname = \"X\"\ndetect = { present = [\"\"] }\nshown = \"#x\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
        let err = CmpRules::with_user_texts(&[("empty.toml", empty)]).unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column), (4, 23), "{err}");
        assert!(err.0[0].message.contains("empty CSS selector"), "{err}");
    }

    #[test]
    fn validation_errors_point_at_the_offending_value() {
        let text = "[[cmp]]\nid = \"Bad Id\"\nname = \"X\"\ndetect = {}\nshown = []\naccept = [{ wait = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
        let err = CmpRules::with_user_texts(&[("v.toml", text)]).unwrap_err();
        let lines: Vec<usize> = err.0.iter().map(|d| d.line).collect();
        assert_eq!(lines, [2, 4, 5, 6], "{err}");
        assert!(err.0[3].message.contains("no step that answers"), "{err}");
        let globals = "[[cmp]]\nid = \"g\"\nname = \"G\"\ndetect = { globals = [\"ok.path\", \"not valid\"] }\nshown = \"#g\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
        let err = CmpRules::with_user_texts(&[("g.toml", globals)]).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!(err.0[0].line, 4, "{err}");
    }

    #[test]
    fn an_id_colliding_with_an_embedded_cmp_needs_replace() {
        let clash = "[[cmp]]\nid = \"onetrust\"\nname = \"Mine\"\ndetect = { present = \"#mine\" }\nshown = \"#mine\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
        let err = CmpRules::with_user_texts(&[("mine.toml", clash)]).unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column), (2, 6), "{err}");
        assert!(err.0[0].message.contains("replace = true"), "{err}");

        let replacing = clash.replace("name = \"Mine\"", "name = \"Mine\"\nreplace = true");
        let rules = CmpRules::with_user_texts(&[("mine.toml", &replacing)]).unwrap();
        let embedded = CmpRules::embedded().unwrap();
        assert_eq!(rules.ids(), embedded.ids(), "replaced in place");
        assert_eq!(rules.get("onetrust").unwrap().name, "Mine");
        assert_eq!(rules.get("onetrust").unwrap().file, "mine.toml");

        let nothing = replacing.replace("onetrust", "nosuchcmp");
        let err = CmpRules::with_user_texts(&[("n.toml", &nothing)]).unwrap_err();
        assert!(err.0[0].message.contains("no CMP `nosuchcmp`"), "{err}");

        let twice = format!("{ONE}\n{ONE}");
        let err = CmpRules::with_user_texts(&[("t.toml", &twice)]).unwrap_err();
        assert!(err.0[0].message.contains("defined twice"), "{err}");
    }

    #[test]
    fn user_files_are_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, ONE).unwrap();
        let rules = CmpRules::with_user_files(&[&path]).unwrap();
        assert_eq!(rules.ids().last(), Some(&"acme"));
        let missing = CmpRules::with_user_files(&[dir.path().join("nope.toml")]).unwrap_err();
        assert!(missing.to_string().contains("cannot read"), "{missing}");
        std::fs::write(&path, "[[cmp]]\nid = 3\n").unwrap();
        let err = CmpRules::with_user_files(&[&path]).unwrap_err();
        let d = err.downcast_ref::<Diagnostics>().expect("diagnostics");
        assert_eq!(d.0[0].line, 2);
        assert!(err.to_string().contains("rules.toml:2:6"), "{err}");
    }

    const RICH: &str = r##"
[[cmp]]
id = "rich"
name = "Rich"
source = "autoconsent 16.23.0 rules/autoconsent/rich.json"
main = false
frame = true
url_pattern = '^https://consent\.rich\.example/'
detect = { all = [{ exists = "#rich" }, { not = { cookie_contains = "rich_choice=" } }] }
shown = { any = [{ visible = "#rich .banner", check = "all" }, { visible = ["xpath///div[@id='rich']"], check = "none" }] }
accept = [
  { wait_for = { visible = [["#host", "button.ok"]] }, timeout = 2000 },
  { pause = 300 },
  { wait_click = "#ok", hidden = true, timeout = 1500 },
]
reject = [
  { if = { exists = "#deny" }, then = [{ click = "#deny", optional = false }], else = [
    { wait_click = "#settings" },
    { click = "input:checked", all = true, hidden = true },
    { any = [{ click = ".save", optional = false }, { wait_click = ".close" }] },
  ] },
  { hide = "#rich-overlay", optional = true },
]
reject_check = { cookie_contains = "rich_choice=0" }
"##;

    #[test]
    fn conditions_steps_and_run_context_parse() {
        let rules = CmpRules::with_user_texts(&[("rich.toml", RICH)]).unwrap();
        let r = rules.get("rich").unwrap();
        assert_eq!(
            r.source.as_deref(),
            Some("autoconsent 16.23.0 rules/autoconsent/rich.json")
        );
        assert!(!r.run.main && r.run.frame);
        assert!(r.run.applies(false, "https://consent.rich.example/x"));
        assert!(!r.run.applies(false, "https://elsewhere.example/"));
        assert!(!r.run.applies(true, "https://consent.rich.example/x"));
        assert_eq!(
            r.detect,
            Condition::All(vec![
                Condition::Exists(one("#rich")),
                Condition::Not(Box::new(Condition::CookieContains("rich_choice=".into()))),
            ])
        );
        assert_eq!(
            r.shown,
            Condition::Any(vec![
                Condition::Visible(one("#rich .banner"), Check::All),
                Condition::Visible(one("xpath///div[@id='rich']"), Check::None),
            ])
        );
        let kinds: Vec<&str> = r.accept.iter().map(Step::kind).collect();
        assert_eq!(kinds, ["wait_for", "pause", "wait_click"]);
        assert_eq!(
            r.accept[0].action,
            Action::WaitFor(
                Condition::Visible(Targets(vec![chain(&["#host", "button.ok"])]), Check::Any),
                Some(Duration::from_millis(2000))
            )
        );
        assert_eq!(
            r.accept[1].action,
            Action::Pause(Duration::from_millis(300))
        );
        match &r.accept[2].action {
            Action::Click(c) => {
                assert!(c.wait && c.hidden && !c.all);
                assert_eq!(c.timeout, Some(Duration::from_millis(1500)));
            }
            other => panic!("{other:?}"),
        }
        let Action::If {
            condition,
            then,
            otherwise,
        } = &r.reject[0].action
        else {
            panic!("{:?}", r.reject[0]);
        };
        assert_eq!(condition, &Condition::Exists(one("#deny")));
        assert!(!then[0].optional, "optional = false makes a click required");
        assert_eq!(otherwise.len(), 3);
        assert!(matches!(&otherwise[1].action, Action::Click(c) if c.all && c.hidden));
        assert!(otherwise[1].optional);
        assert!(matches!(&otherwise[2].action, Action::Any(s) if s.len() == 2));
        assert!(r.reject[0].acts());
        assert!(r.reject[1].optional && r.reject[1].kind() == "hide");
        assert_eq!(
            r.check(true),
            Some(&Condition::CookieContains("rich_choice=0".into()))
        );
        assert_eq!(r.check(false), None);
        assert_eq!(
            r.detect.to_string(),
            "all of (`#rich` exists, not (cookie contains \"rich_choice=\"))"
        );
    }

    /// The diagnostics of `body` as a user file after a valid header: (line, column, message).
    fn errors(body: &str) -> Vec<(usize, usize, String)> {
        let text = format!("[[cmp]]\nid = \"e\"\nname = \"E\"\n{body}");
        match CmpRules::with_user_texts(&[("e.toml", &text)]) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(d) => {
                d.0.into_iter()
                    .map(|e| (e.line, e.column, e.message))
                    .collect()
            }
        }
    }

    #[test]
    fn new_constructs_are_rejected_at_their_line_and_column() {
        let ok = "shown = \"#x\"\naccept = [{ click = \"#a\" }]\nreject = [{ click = \"#b\" }]\n";
        let cases: &[(&str, usize, usize, &str)] = &[
            // A condition with two kinds.
            (
                "detect = { exists = \"#x\", global = \"X\" }\n",
                4,
                10,
                "exists and global",
            ),
            (
                "detect = { visible = \"#x\", check = \"some\" }\n",
                4,
                36,
                "some",
            ),
            (
                "detect = { check = \"all\", exists = \"#x\" }\n",
                4,
                10,
                "`check` goes with `visible`",
            ),
            (
                "detect = { present = \"#x\", exists = \"#y\" }\n",
                4,
                10,
                "not both",
            ),
            ("detect = { all = [] }\n", 4, 10, "at least one condition"),
            ("detect = { not = { exist = \"#x\" } }\n", 4, 20, "exist"),
            ("detect = { exists = \"xpath/ \" }\n", 4, 21, "empty XPath"),
            (
                "detect = { global = \"not valid\" }\n",
                4,
                10,
                "not a global name",
            ),
            (
                "detect = {}\n",
                4,
                10,
                "needs `present` selectors or `globals`",
            ),
        ];
        for (detect, line, column, message) in cases {
            let got = errors(&format!("{detect}{ok}"));
            assert_eq!(got.len(), 1, "{detect}: {got:?}");
            assert_eq!((got[0].0, got[0].1), (*line, *column), "{detect}: {got:?}");
            assert!(got[0].2.contains(message), "{detect}: {got:?}");
        }
        let detect = "detect = { exists = \"#x\" }\nshown = \"#x\"\n";
        let steps: &[(&str, &str)] = &[
            (
                "{ wait_click = \"#a\", click = \"#b\" }",
                "wait_click and click",
            ),
            ("{ if = { exists = \"#a\" } }", "needs `then`"),
            ("{ then = [{ click = \"#a\" }] }", "go with `if`"),
            ("{ pause = 100, hidden = true }", "not `pause`"),
            ("{ click = \"#a\", timeout = 100 }", "not `click`"),
            ("{ pause = -1 }", "invalid value"),
            ("{ any = [] }", "at least one step"),
            ("{ optional = true }", "a step needs one of"),
            (
                "{ wait_for = { visible = \"#a\", chek = \"all\" } }",
                "chek",
            ),
        ];
        for (step, message) in steps {
            let got = errors(&format!(
                "{detect}accept = [\n  {step},\n]\nreject = [{{ click = \"#b\" }}]\n"
            ));
            assert_eq!(got[0].0, 7, "{step}: {got:?}");
            assert!(got[0].1 >= 3, "{step}: {got:?}");
            assert!(got[0].2.contains(message), "{step}: {got:?}");
        }
        // Where a rule runs.
        let got = errors(&format!("url_pattern = \"(\"\n{detect}{}", &ok[13..]));
        assert_eq!((got[0].0, got[0].1), (4, 15), "{got:?}");
        assert!(
            got[0].2.contains("not a valid regular expression"),
            "{got:?}"
        );
        let got = errors(&format!("main = false\n{detect}{}", &ok[13..]));
        assert_eq!((got[0].0, got[0].1), (4, 8), "{got:?}");
        assert!(got[0].2.contains("run nowhere"), "{got:?}");
        let got = errors(
            "frame = true\ndetect = { global = \"X\" }\nshown = \"#x\"\naccept = [{ eval = \"1\" }]\nreject = [{ click = \"#b\" }]\n",
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            (got[0].0, got[0].2.contains("`detect`")),
            (5, true),
            "{got:?}"
        );
        assert_eq!(
            (got[1].0, got[1].2.contains("`eval` step")),
            (7, true),
            "{got:?}"
        );
        // A sequence whose only click is inside a branch still answers; one with none does not.
        let got = errors(&format!(
            "{detect}accept = [{{ if = {{ exists = \"#a\" }}, then = [{{ pause = 1 }}] }}]\nreject = [{{ any = [{{ click = \"#b\" }}] }}]\n"
        ));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 6, "{got:?}");
        assert!(got[0].2.contains("no step that answers"), "{got:?}");
    }
}
