//! Running a rule's accept or reject steps: clicks, waits, pauses, scripts, branches, and the
//! check that the answer took; every wait bounded.

use super::conditions;
use super::{Acted, AutoRun, POLL, describe_click};
use crate::browser::dom::{self, ClickError, Located, Mode};
use crate::browser::poll_until;
use crate::consent::rules::{Action, Click, Cmp, Condition, RuleStep, Targets};
use crate::error::{Error, Result};
use anyhow::anyhow;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long the check after an answer (autoconsent's `test`: a cookie written, a banner gone)
/// may take to hold, on the page's clock.
const CHECK_BOUND: Duration = Duration::from_secs(2);

/// A step the page did not go along with: an element missing, a check that did not hold.
fn not_done(message: impl std::fmt::Display) -> Error {
    Error::site(anyhow!("{message}"))
}

/// `e` in other words (a step's label around it), its kind kept.
fn reworded(e: &Error, message: impl std::fmt::Display) -> Error {
    Error::new(e.kind(), anyhow!("{message}"))
}

impl AutoRun<'_, '_> {
    /// Runs `cmp`'s accept or reject steps in the rule's document (the top one, or the frame
    /// whose banner shows), then its check; the last step that answered, or why none could.
    pub(super) fn run_steps(&mut self, cmp: &Cmp) -> Result<Acted> {
        let root = self.rule_root(cmp)?;
        let mut acted = None;
        for (i, step) in cmp.steps(self.reject).iter().enumerate() {
            let n = i + 1;
            let label = format!("{} step {n} ({})", self.action(), step.kind());
            self.run_step(step, n, &label, &root, &mut acted)?;
        }
        let mut acted = acted.ok_or_else(|| {
            not_done(format!(
                "{}: no step found anything to click",
                self.action()
            ))
        })?;
        if let Some(check) = cmp.check(self.reject) {
            self.check_answer(check, &root, &mut acted)?;
        }
        Ok(acted)
    }

    /// Runs `steps` (named `what` in messages) in the top document; the last step that acted.
    pub(super) fn run_sequence(&mut self, steps: &[RuleStep], what: &str) -> Result<Acted> {
        let root = self.worlds.top().to_string();
        let mut acted = None;
        for (i, step) in steps.iter().enumerate() {
            let n = i + 1;
            let label = format!("{what} step {n} ({})", step.kind());
            self.run_step(step, n, &label, &root, &mut acted)?;
        }
        acted.ok_or_else(|| not_done(format!("{what}: no step found anything to click")))
    }

    /// The document `cmp`'s steps run in: the top one, or for a frame rule the first frame it
    /// runs in whose banner shows (else whose CMP is detected).
    fn rule_root(&mut self, cmp: &Cmp) -> Result<String> {
        if !cmp.run.frame {
            return Ok(self.worlds.top().to_string());
        }
        let docs = conditions::documents_for(&self.worlds, cmp);
        for condition in [&cmp.shown, &cmp.detect] {
            let asks: Vec<(&Condition, &str)> =
                docs.iter().map(|d| (condition, d.id.as_str())).collect();
            let held = conditions::evaluate(&mut self.worlds, &asks);
            if let Some(i) = held.iter().position(|h| h.holds == Some(true)) {
                return Ok(docs[i].id.clone());
            }
        }
        Err(not_done(format!(
            "no document the rule runs in shows its banner ({} looked at)",
            docs.len()
        )))
    }

    /// Runs one step (and the steps nested in it); a failure of an optional step is ignored.
    fn run_step(
        &mut self,
        step: &RuleStep,
        n: usize,
        label: &str,
        root: &str,
        acted: &mut Option<Acted>,
    ) -> Result<()> {
        match self.run_action(step, n, label, root, acted) {
            Err(_) if step.optional => Ok(()),
            other => other,
        }
    }

    /// Runs one step's action, whether or not it is optional.
    fn run_action(
        &mut self,
        step: &RuleStep,
        n: usize,
        label: &str,
        root: &str,
        acted: &mut Option<Acted>,
    ) -> Result<()> {
        let t0 = Instant::now();
        let after = |t0: Instant| format!("after {:.1} s", t0.elapsed().as_secs_f64());
        match &step.action {
            Action::Click(click) => match self.click(click, root) {
                Ok(element) => {
                    // An optional click that opened nothing may have come too early (see answer).
                    self.optional_clicked |= step.optional;
                    *acted = Some(Acted { step: n, element });
                    Ok(())
                }
                Err(why) => Err(reworded(&why, format!("{label}: {why} {}", after(t0)))),
            },
            Action::Wait(targets, timeout) => {
                let asks: Vec<(&[String], Mode)> = targets
                    .chains()
                    .map(|c| (c.0.as_slice(), Mode::Present))
                    .collect();
                let mut last = Vec::new();
                let until = self.bound(*timeout);
                let present = poll_until(until, || {
                    last = dom::resolve_in(&mut self.worlds, root, &asks, false).located;
                    last.iter().any(|l| matches!(l, Located::Present))
                });
                if present {
                    Ok(())
                } else {
                    Err(not_done(format!(
                        "{label}: {} {}",
                        why_none(targets, &last),
                        after(t0)
                    )))
                }
            }
            Action::WaitFor(condition, timeout) => {
                let until = self.bound(*timeout);
                if self.await_condition(condition, root, until) == Some(true) {
                    Ok(())
                } else {
                    Err(not_done(format!(
                        "{label}: {condition} did not hold {}",
                        after(t0)
                    )))
                }
            }
            Action::Eval(js) => match self.worlds.page().act(js, self.worlds.call_timeout) {
                Err(e) => Err(Error::browser(anyhow!("{label} `{js}`: {e}"))),
                Ok(Value::Bool(false)) => Err(not_done(format!("{label} `{js}` returned false"))),
                Ok(_) => {
                    *acted = Some(Acted {
                        step: n,
                        element: format!("script `{js}` in the top frame"),
                    });
                    Ok(())
                }
            },
            Action::Hide(targets) => {
                let chains: Vec<&[String]> = targets.chains().map(|c| c.0.as_slice()).collect();
                let _ = dom::hide_in(&mut self.worlds, root, &chains);
                Ok(())
            }
            Action::Pause(pause) => {
                // The CMP's own animation time passes on its clock, never past the step's bound.
                let window = (*pause).min(self.wait_bound().saturating_duration_since(t0));
                self.clock.run_ahead(window, || false);
                Ok(())
            }
            Action::If {
                condition,
                then,
                otherwise,
            } => {
                // A condition that cannot be read is false, as in autoconsent.
                let holds = self.holds(condition, root) == Some(true);
                let (branch, name) = if holds {
                    (then, "then")
                } else {
                    (otherwise, "else")
                };
                for (j, s) in branch.iter().enumerate() {
                    let sub = format!("{label} {name} {} ({})", j + 1, s.kind());
                    self.run_step(s, n, &sub, root, acted)?;
                }
                Ok(())
            }
            Action::Any(branches) => {
                let mut why = Vec::new();
                for (j, s) in branches.iter().enumerate() {
                    let sub = format!("{label} branch {} ({})", j + 1, s.kind());
                    // A branch that fails is the next one's turn, optional or not.
                    match self.run_action(s, n, &sub, root, acted) {
                        Ok(()) => return Ok(()),
                        Err(e) => why.push(e.to_string()),
                    }
                }
                Err(not_done(format!(
                    "{label}: no branch succeeded: {}",
                    why.join("; ")
                )))
            }
        }
    }

    /// Waits until `condition` holds in `root`, at most until `until`; its last value. First on
    /// the page's clock (what is awaited usually comes from the CMP's timers), then in real time
    /// while a CSS transition or animation runs there (a panel fading in): those advance with the
    /// page's frames, which do not come faster when the clock runs ahead.
    fn await_condition(
        &mut self,
        condition: &Condition,
        root: &str,
        until: Instant,
    ) -> Option<bool> {
        let clock = self.clock;
        let mut held = None;
        let window = until.saturating_duration_since(Instant::now());
        if clock.run_ahead(window, || {
            held = self.holds(condition, root);
            held == Some(true)
        }) {
            return held;
        }
        // Page time ran on without frames: a transition may still be pending or running, and
        // ends in real time. Asked before the condition, so a transition that ends between the
        // two reads is seen finished rather than taken for the answer.
        poll_until(until, || {
            let moving = dom::animating(&mut self.worlds, root);
            held = self.holds(condition, root);
            held == Some(true) || !moving
        });
        held
    }

    /// Whether `condition` holds now in the document `root`; None when it could not be read.
    fn holds(&mut self, condition: &Condition, root: &str) -> Option<bool> {
        conditions::evaluate(&mut self.worlds, &[(condition, root)])
            .pop()
            .and_then(|h| h.holds)
    }

    /// After the answering steps: `check` must come to hold (on the page's clock, bounded), or
    /// the answer did not take. A check whose frame went away with the banner cannot be made:
    /// the answer stands, and says so.
    fn check_answer(&mut self, check: &Condition, root: &str, acted: &mut Acted) -> Result<()> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let bound = CHECK_BOUND.min(remaining.max(Duration::from_millis(500)));
        let t0 = Instant::now();
        match self.await_condition(check, root, t0 + bound) {
            Some(true) => Ok(()),
            None => {
                acted.element = format!(
                    "{}; the check `{check}` could not be made (its document is gone)",
                    acted.element
                );
                Ok(())
            }
            Some(false) => Err(not_done(format!(
                "{} step {} clicked {}, but its check `{check}` did not hold within {:.1} s",
                self.action(),
                acted.step,
                acted.element,
                t0.elapsed().as_secs_f64()
            ))),
        }
    }

    /// How long one step may wait: half the step, so a failing rule leaves time for the next CMP.
    fn wait_bound(&self) -> Instant {
        (Instant::now() + self.step_timeout / 2).min(self.deadline)
    }

    /// The wait bound, shortened by a rule's own `timeout`.
    fn bound(&self, timeout: Option<Duration>) -> Instant {
        let until = self.wait_bound();
        timeout.map_or(until, |t| until.min(Instant::now() + t))
    }

    /// Clicks as `click` says: the first ready alternative with the mouse; with `hidden`, a
    /// present one with `el.click()` when none is ready; with `all`, every match.
    fn click(&mut self, click: &Click, root: &str) -> Result<String> {
        let mode = match (click.all, click.hidden) {
            (true, hidden) => Mode::All { hidden },
            (false, true) => Mode::Any,
            (false, false) => Mode::Ready,
        };
        let until = self.bound(click.timeout);
        self.click_first(&click.targets, click.wait, mode, root, until)
    }

    /// Clicks the first alternative that is ready (or kept for `el.click()`), waiting (until
    /// `until`) for one when `wait`.
    fn click_first(
        &mut self,
        targets: &Targets,
        wait: bool,
        mode: Mode,
        root: &str,
        until: Instant,
    ) -> Result<String> {
        let asks: Vec<(&[String], Mode)> =
            targets.chains().map(|c| (c.0.as_slice(), mode)).collect();
        loop {
            let located = dom::resolve_in(&mut self.worlds, root, &asks, false).located;
            let first = located.iter().enumerate().find_map(|(i, l)| match l {
                Located::Ready(f) => Some((i, f.clone(), None)),
                Located::Stored { found, count } => Some((i, found.clone(), Some(*count))),
                _ => None,
            });
            match first {
                Some((i, found, None)) => match dom::click(&mut self.worlds, &found) {
                    Ok(how) => return Ok(describe_click(&targets.0[i].to_string(), &found, &how)),
                    // Re-rendered between looking and clicking: look again.
                    Err(ClickError::Gone) => {}
                    Err(ClickError::Failed(e)) => {
                        return Err(reworded(
                            &e,
                            format!("clicking {} {} failed: {e}", targets.0[i], found.label),
                        ));
                    }
                },
                Some((i, found, Some(count))) => match dom::el_click(&mut self.worlds, &found) {
                    // Gone between looking and clicking: look again.
                    Ok(0) => {}
                    Ok(n) => {
                        let how = if matches!(mode, Mode::All { .. }) {
                            format!("el.click() on {n} of {count} matches")
                        } else {
                            "el.click(), since it is hidden or disabled".into()
                        };
                        return Ok(describe_click(&targets.0[i].to_string(), &found, &how));
                    }
                    Err(e) => {
                        return Err(reworded(
                            &e,
                            format!("clicking {} {} failed: {e}", targets.0[i], found.label),
                        ));
                    }
                },
                None => {}
            }
            let now = Instant::now();
            if !wait || now >= until {
                return Err(not_done(why_none(targets, &located)));
            }
            std::thread::sleep(POLL.min(until - now));
        }
    }
}

/// Why no alternative could be clicked: each one's state.
fn why_none(targets: &Targets, located: &[Located]) -> String {
    targets
        .chains()
        .enumerate()
        .map(|(i, c)| {
            let state = located
                .get(i)
                .map(Located::why_not)
                .unwrap_or_else(|| "not looked at".into());
            format!("{c} {state}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}
