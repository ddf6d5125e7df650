//! Answering a detected consent manager's banner by its rule, and checking that the answer took:
//! the banner closing and staying closed (or the page navigating), the CMP's own record.

use super::{AutoRun, VERIFY_BOUND};
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::dom::Worlds;
use crate::consent::heuristic::{Sight, Stored};
use crate::consent::rules::Cmp;
use std::time::{Duration, Instant};

/// How long a closed banner must stay closed to count (it may re-appear at once).
const STAY_CLOSED: Duration = Duration::from_millis(300);

/// How long the CMP's consent record may take to be written after its banner closed.
const RECORD_BOUND: Duration = Duration::from_secs(1);

/// How often a banner that re-appears is answered again before giving up.
const MAX_ANSWERS: usize = 3;

/// What the page did after the answer.
enum Verdict {
    Closed,
    Navigated(String),
    Reappeared,
    StillShown(Duration),
}

impl AutoRun<'_, '_> {
    /// Answers `cmp`'s banner; true when the answer took.
    pub(super) fn answer(&mut self, cmp: &Cmp, sight: &Sight, before: &Stored) -> bool {
        if self.is_shown(cmp) != Some(true) {
            self.record.tried.push(format!(
                "{}: detected, but its banner is not showing",
                cmp.id
            ));
            return false;
        }
        let top = self.worlds.top().to_string();
        for attempt in 1..=MAX_ANSWERS {
            // Our world in the top document dies with it: that is how a navigation shows.
            let top_context = self.worlds.context(&top).ok();
            self.optional_clicked = false;
            let acted = match self.run_steps(cmp) {
                Ok(a) => a,
                Err(why) => {
                    // An optional click that opened nothing may have come before the CMP bound
                    // its buttons: the sequence is tried once more while time is left.
                    let again = self.optional_clicked
                        && attempt < MAX_ANSWERS
                        && Instant::now() < self.deadline;
                    self.record.tried.push(format!(
                        "{}: {why}{}",
                        cmp.id,
                        if again { "; answering again" } else { "" }
                    ));
                    if again {
                        continue;
                    }
                    return false;
                }
            };
            let rule = format!("{} step {}", self.action(), acted.step);
            self.record.cmp = Some(cmp.id.clone());
            self.record.rule = Some(rule.clone());
            self.record.element = Some(acted.element.clone());
            let mut verdict = self.verify(cmp, top_context);
            if let Verdict::StillShown(after) = verdict {
                // Still there: the answer may have taken and the banner be on its way out (a
                // fade, a slide). Its record says so where it has one; otherwise it gets the
                // same time again to leave before anything is clicked again.
                if let Some(got) = self.recorded(cmp)
                    && got == self.action()
                {
                    self.record.recorded = Some(got.clone());
                    self.record.done = true;
                    self.record.outcome = Some(format!(
                        "the banner was still shown {:.1} s later, but {} recorded `{got}`: not answered again",
                        after.as_secs_f64(),
                        cmp.id
                    ));
                    self.record
                        .verified
                        .push(format!("{} recorded `{got}`", cmp.id));
                    return true;
                }
                verdict = match self.verify(cmp, top_context) {
                    Verdict::StillShown(more) => Verdict::StillShown(after + more),
                    other => other,
                };
            }
            if let Verdict::StillShown(after) = verdict
                && let Some(why) = self.took_while_shown(sight, before)
            {
                // Some banners stay on screen once answered: a confirmation in place of the
                // question, or a bar that keeps its place; clicking again would answer twice.
                self.record.done = true;
                self.record.outcome = Some(format!(
                    "the banner was still shown {:.1} s later, but {why}: not answered again",
                    after.as_secs_f64()
                ));
                self.record.verified.push(why);
                return true;
            }
            match verdict {
                Verdict::Closed => {
                    self.record
                        .verified
                        .push("the banner closed and stayed closed".into());
                    return self.check_record(cmp, "the banner closed".into());
                }
                Verdict::Navigated(url) => {
                    self.record
                        .verified
                        .push(format!("the page navigated to {url}"));
                    return self.check_record(cmp, format!("the page navigated to {url}"));
                }
                Verdict::Reappeared => {
                    let next = if attempt < MAX_ANSWERS {
                        "answering again"
                    } else {
                        "giving up"
                    };
                    self.record.tried.push(format!(
                        "{}: {rule} closed the banner, but it re-appeared (answer {attempt} of {MAX_ANSWERS}); {next}",
                        cmp.id
                    ));
                    self.record.outcome = Some("the banner re-appeared".into());
                }
                Verdict::StillShown(after) => {
                    // A click that came before the CMP bound its buttons did nothing (tarteaucitron
                    // binds them 500 ms after showing the banner): answer again while time is left.
                    let again = attempt < MAX_ANSWERS && Instant::now() < self.deadline;
                    self.record.tried.push(format!(
                        "{}: {rule} clicked {}, but the banner was still shown {:.1} s later{}",
                        cmp.id,
                        acted.element,
                        after.as_secs_f64(),
                        if again { "; answering again" } else { "" }
                    ));
                    self.record.outcome = Some("the banner is still shown".into());
                    if !again {
                        return false;
                    }
                }
            }
        }
        false
    }

    /// Why an answer took although its banner is still shown: it wrote its record (a key whose
    /// name speaks of consent), or no banner on the page offers a choice any more.
    fn took_while_shown(&mut self, sight: &Sight, before: &Stored) -> Option<String> {
        let top = self.worlds.top().to_string();
        let after = sight.stored(&mut self.worlds, &top);
        let written = sight.written(before, &after);
        if !written.is_empty() {
            let names: Vec<&str> = written.iter().map(|k| k.name.as_str()).collect();
            return Some(format!(
                "the answer wrote its record ({})",
                names.join(", ")
            ));
        }
        let look = sight.look(&mut self.worlds);
        (look.any_banner() && !look.offers_choice())
            .then(|| "the banner shows no choice any more (a confirmation)".to_string())
    }

    /// What `cmp`'s record holds now, if it has one (no waiting: the answer was given a while ago).
    fn recorded(&self, cmp: &Cmp) -> Option<String> {
        let expr = cmp.record.as_ref()?.choice.as_ref()?;
        let wrapped =
            format!("(() => {{ try {{ return ({expr}); }} catch (e) {{ return null; }} }})()");
        self.worlds
            .page()
            .evaluate(&wrapped, self.worlds.call_timeout)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| matches!(s.as_str(), "accept" | "reject" | "partial"))
    }

    /// After the banner closed: the answer took unless the CMP's own record holds another choice.
    pub(super) fn check_record(&mut self, cmp: &Cmp, outcome: String) -> bool {
        let want = self.action();
        let got = read_choice(
            self.worlds.page(),
            cmp,
            self.worlds.call_timeout,
            self.clock,
        );
        let Some(got) = got else {
            self.record.done = true;
            self.record.outcome = Some(outcome);
            return true;
        };
        self.record.recorded = Some(got.clone());
        if got == want {
            self.record.done = true;
            self.record.outcome = Some(outcome);
            return true;
        }
        let why = format!(
            "{outcome}, but {} recorded `{got}` where `{want}` was asked: the rule gave another answer",
            cmp.id
        );
        self.record.tried.push(format!("{}: {why}", cmp.id));
        self.record.outcome = Some(why);
        self.record.done = false;
        false
    }

    /// Waits until the banner closes (and stays closed a moment) or the page navigates.
    fn verify(&mut self, cmp: &Cmp, top_context: Option<i64>) -> Verdict {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let bound = VERIFY_BOUND
            .min(self.step_timeout / 2)
            .min(remaining.max(Duration::from_millis(500)));
        let navigated = |worlds: &Worlds| top_context.is_some_and(|c| !worlds.alive(c));
        let t0 = Instant::now();
        let (mut closed, mut nav) = (false, false);
        // On the page's clock: a banner that fades out, or comes back, does so on its timers.
        let clock = self.clock;
        clock.run_ahead(bound, || {
            nav = navigated(&self.worlds);
            closed = !nav && self.is_shown(cmp) == Some(false);
            nav || closed
        });
        if !nav && !closed {
            return Verdict::StillShown(t0.elapsed());
        }
        let mut back = false;
        if !nav {
            clock.run_ahead(STAY_CLOSED, || {
                nav = navigated(&self.worlds);
                back = !nav && self.is_shown(cmp) == Some(true);
                nav || back
            });
        }
        if nav {
            let url = self
                .worlds
                .page()
                .evaluate("location.href", self.worlds.call_timeout)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "another page".into());
            return Verdict::Navigated(url);
        }
        if back {
            Verdict::Reappeared
        } else {
            Verdict::Closed
        }
    }
}

/// The choice `cmp`'s own record holds (`accept`, `reject`, `partial`), waiting a moment for it
/// to be written (on the page's clock: a CMP writes it from its own timers or after a request);
/// None when the CMP has no readable record or wrote none.
pub(super) fn read_choice(
    page: &Page,
    cmp: &Cmp,
    call_timeout: Duration,
    clock: &PageClock,
) -> Option<String> {
    let expr = cmp.record.as_ref()?.choice.as_ref()?;
    let wrapped =
        format!("(() => {{ try {{ return ({expr}); }} catch (e) {{ return null; }} }})()");
    let mut got = None;
    clock.run_ahead(RECORD_BOUND, || {
        got = page
            .evaluate(&wrapped, call_timeout)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| matches!(s.as_str(), "accept" | "reject" | "partial"));
        got.is_some()
    });
    got
}
