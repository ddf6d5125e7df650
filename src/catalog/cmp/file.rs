//! One rules file read and checked: each `[[cmp]]` table's id, name, where it runs, its
//! conditions and its sequences, every problem at its line and column.

use super::syntax::{CONDITION_KINDS, DetectSpec, Shown};
use super::{Action, Cmp, Condition, Record, RuleStep, RunContext, UrlPattern, Withdraw};
use crate::diagnostic::{Diagnostic, Diagnostics};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// A parsed rule, its `replace` flag and the span of its id.
pub(super) type Parsed = (Cmp, bool, Range<usize>);

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
    accept: Spanned<Vec<RuleStep>>,
    reject: Spanned<Vec<RuleStep>>,
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
pub(super) fn parse_file(file: &str, text: &str) -> Result<Vec<Parsed>, Diagnostics> {
    let raw: RulesFile = toml::from_str(text)
        .map_err(|e| Diagnostics(vec![Diagnostic::from_toml(file, text, &e)]))?;
    let mut check = RuleCheck {
        file,
        text,
        errors: Vec::new(),
    };
    let mut out: Vec<Parsed> = Vec::new();
    for c in raw.cmp {
        let twice = out.iter().any(|(o, _, _)| &o.id == c.id.get_ref());
        out.push(check.rule(c, twice));
    }
    if !check.errors.is_empty() {
        return Err(Diagnostics(check.errors));
    }
    Ok(out)
}

/// The checks of one rules file's `[[cmp]]` tables, each problem kept at its place in the file.
struct RuleCheck<'f> {
    file: &'f str,
    text: &'f str,
    errors: Vec<Diagnostic>,
}

impl RuleCheck<'_> {
    fn at(&mut self, span: Range<usize>, message: String) {
        self.errors
            .push(Diagnostic::at(self.file, self.text, span, message));
    }

    /// One `[[cmp]]` table, checked part by part and built (`twice`: its id came earlier in the
    /// file).
    fn rule(&mut self, c: RawCmp, twice: bool) -> Parsed {
        self.names(&c, twice);
        let run = self.run_context(&c);
        let detect_span = c.detect.span();
        let detect = c.detect.into_inner().0;
        let shown_span = c.shown.span();
        let shown = c.shown.into_inner().0;
        self.detect_and_shown(&detect, detect_span.clone(), &shown, shown_span.clone());
        // A frame's own page globals are out of reach (the engine reads the top page's).
        if c.frame {
            let (accept_check, accept_span) = optional_condition(&c.accept_check);
            let (reject_check, reject_span) = optional_condition(&c.reject_check);
            self.no_globals(&[
                ("detect", Some(&detect), detect_span),
                ("shown", Some(&shown), shown_span),
                ("accept_check", accept_check, accept_span),
                ("reject_check", reject_check, reject_span),
            ]);
        }
        if let Some(w) = &c.withdraw
            && w.get_ref().open.is_empty()
            && w.get_ref().api.is_none()
        {
            self.at(
                w.span(),
                "`withdraw` needs `open` steps (the visitor's way back) or an `api` call".into(),
            );
        }
        self.sequence("accept", &c.accept, c.frame);
        self.sequence("reject", &c.reject, c.frame);
        let cmp = Cmp {
            id: c.id.get_ref().clone(),
            name: c.name.into_inner(),
            detect,
            shown,
            accept: c.accept.into_inner(),
            reject: c.reject.into_inner(),
            accept_check: c.accept_check.map(Spanned::into_inner),
            reject_check: c.reject_check.map(Spanned::into_inner),
            record: c.record,
            withdraw: c.withdraw.map(Spanned::into_inner),
            run,
            source: c.source,
            file: self.file.to_string(),
        };
        (cmp, c.replace, c.id.span())
    }

    /// The id (its spelling, once in the file) and the name.
    fn names(&mut self, c: &RawCmp, twice: bool) {
        let id = c.id.get_ref();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            self.at(
                c.id.span(),
                format!("CMP id `{id}` must be lowercase letters, digits and `-`"),
            );
        }
        if twice {
            self.at(
                c.id.span(),
                format!("CMP id `{id}` is defined twice in this file"),
            );
        }
        if c.name.get_ref().trim().is_empty() {
            self.at(c.name.span(), "`name` is empty".into());
        }
    }

    /// Where the rule runs: somewhere (`main` or `frame`), and a `url_pattern` that compiles.
    fn run_context(&mut self, c: &RawCmp) -> RunContext {
        let main = c.main.as_ref().is_none_or(|m| *m.get_ref());
        if let Some(m) = c.main.as_ref().filter(|_| !main && !c.frame) {
            self.at(
                m.span(),
                "`main = false` without `frame = true`: the rule would run nowhere".into(),
            );
        }
        let url_pattern = c
            .url_pattern
            .as_ref()
            .and_then(|p| match UrlPattern::new(p.get_ref()) {
                Ok(u) => Some(u),
                Err(e) => {
                    self.at(p.span(), e.to_string());
                    None
                }
            });
        RunContext {
            main,
            frame: c.frame,
            url_pattern,
        }
    }

    /// `detect` and `shown` that test something (their syntax leaves the empty ones to here).
    fn detect_and_shown(
        &mut self,
        detect: &Condition,
        detect_span: Range<usize>,
        shown: &Condition,
        shown_span: Range<usize>,
    ) {
        if matches!(detect, Condition::Any(a) if a.is_empty()) {
            self.at(
                detect_span,
                format!(
                    "`detect` needs `present` selectors or `globals`, or a condition ({CONDITION_KINDS})"
                ),
            );
        }
        if matches!(shown, Condition::Visible(t, _) if t.0.is_empty()) {
            self.at(shown_span, "`shown` needs at least one selector".into());
        }
    }

    /// No `global` in the conditions of a rule that runs in frames.
    fn no_globals(&mut self, conditions: &[(&str, Option<&Condition>, Range<usize>)]) {
        for (what, cond, span) in conditions {
            if cond.is_some_and(Condition::uses_global) {
                self.at(
                    span.clone(),
                    format!("`{what}`: a `global` cannot be read in a rule that runs in frames"),
                );
            }
        }
    }

    /// An accept or reject sequence answers the banner, and none of its steps (nested ones
    /// included) needs the top page in a rule that runs in frames.
    fn sequence(&mut self, name: &str, seq: &Spanned<Vec<RuleStep>>, frame: bool) {
        if !seq.get_ref().iter().any(RuleStep::acts) {
            self.at(
                seq.span(),
                format!("`{name}` has no step that answers the banner (wait_click, click or eval)"),
            );
        }
        let mut all = Vec::new();
        seq.get_ref().iter().for_each(|s| s.walk(&mut all));
        for step in all {
            let problem = match &step.action {
                Action::Eval(_) if frame => {
                    Some("an `eval` step runs in the top page, not in a frame rule's frame")
                }
                Action::WaitFor(cond, _)
                | Action::If {
                    condition: cond, ..
                } if frame && cond.uses_global() => {
                    Some("a `global` cannot be read in a rule that runs in frames")
                }
                _ => None,
            };
            if let Some(p) = problem {
                self.at(seq.span(), format!("`{name}`: {p}"));
            }
        }
    }
}

/// An optional condition and its span (empty when absent).
fn optional_condition(c: &Option<Spanned<Condition>>) -> (Option<&Condition>, Range<usize>) {
    (
        c.as_ref().map(Spanned::get_ref),
        c.as_ref().map_or(0..0, Spanned::span),
    )
}
