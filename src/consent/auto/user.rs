//! A user's own answer to the banner (`--consent-click`, `--consent-js`, `--consent-text` and
//! their reject forms), carried out and checked the way automatic answers are.

use super::super::heuristic::{Answered, Sight, Sighted, Stored};
use super::super::text::{Query, search};
use super::answer::read_choice;
use super::{AutoRun, VERIFY_BOUND, describe_click};
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::dom::ClickError;
use crate::browser::input::Gestures;
use crate::browser::watch::FrameInfo;
use crate::consent::{AnswerMethod, BannerWords, CmpRules, ConsentRecord, ConsentResult};
use crate::error::{Error, Result};
use anyhow::anyhow;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A user's own answer to the banner.
#[derive(Debug, Clone, Copy)]
pub enum UserAnswer<'a> {
    /// Click the element this CSS selector finds.
    Click(&'a str),
    /// Evaluate this script in the page, as the visitor's gesture.
    Script(&'a str),
    /// Click the button, link or [role=button] with this visible text.
    Text(&'a str),
}

/// What a user's answer did, before it is checked.
struct Given {
    /// What was clicked or run, or why nothing could be.
    acted: Result<String>,
    /// The banner the answer is given to, as the visitor sees it.
    banner: Option<Sighted>,
    /// What was stored before the answer.
    before: Stored,
}

/// Carries out a user's own answer (a selector, a script, a button text) and checks it the way
/// automatic answers are checked: the known CMPs on the page, their banners closing, their
/// records' choice; where no CMP is known, the banner around the clicked element (or, for a
/// script, the one a visitor sees) must leave and stay away, a reload followed.
// The page, what to answer and its bounds: grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn user_answer(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    words: &BannerWords,
    answer: UserAnswer,
    reject: bool,
    (step_timeout, call_timeout): (Duration, Duration),
    clock: &PageClock,
    gestures: &Gestures,
) -> ConsentRecord {
    let start = Instant::now();
    let mut run = AutoRun::new(
        page,
        frames,
        rules,
        words,
        (VERIFY_BOUND * 2, call_timeout),
        clock,
    );
    run.reject = reject;
    run.deadline = start + step_timeout;
    let (method, rule) = match answer {
        UserAnswer::Click(_) => (AnswerMethod::Selector, "click"),
        UserAnswer::Script(_) => (AnswerMethod::Script, "js"),
        UserAnswer::Text(_) => (AnswerMethod::Text, "text"),
    };
    run.record.method = Some(method);
    run.record.rule = Some(rule.into());
    run.record.gestures_before = gestures
        .done
        .iter()
        .map(|g| g.as_str().to_string())
        .collect();
    let sight = Sight::new(&mut run.worlds, run.vocab);
    let detected = run.detect();
    let given = run.give(&sight, answer, start + step_timeout, step_timeout);
    run.record.detected = detected
        .keys()
        .map(|&i| rules.cmps()[i].id.clone())
        .collect();
    match given.acted {
        Err(e) => {
            run.record.tried.push(e.to_string());
            run.record.result = Some(if detected.is_empty() && given.banner.is_none() {
                ConsentResult::NoBanner
            } else {
                ConsentResult::Unanswered
            });
        }
        Ok(element) => {
            run.record.element = Some(element);
            run.record.done = true;
            run.record.result = Some(ConsentResult::Answered);
            if !detected.is_empty() {
                run.check_cmps(&detected);
            } else if let Some(b) = &given.banner {
                run.check_banner(&sight, b, &given.before);
            } else {
                run.record.outcome = Some(
                    "unverified: no known consent manager on the page, and no banner around the clicked element that speaks of cookies or consent".into(),
                );
            }
        }
    }
    run.worlds.release();
    run.record.duration_ms = start.elapsed().as_millis() as u64;
    run.record.page_age_ms = Some(clock.page_age().as_millis() as u64);
    run.record
}

impl AutoRun<'_, '_> {
    /// Gives the user's answer: clicks what the selector or text finds (until `deadline`), or
    /// runs the script; the banner it goes to and what was stored before are kept for the check.
    fn give(
        &mut self,
        sight: &Sight,
        answer: UserAnswer,
        deadline: Instant,
        step_timeout: Duration,
    ) -> Given {
        match answer {
            UserAnswer::Click(sel) => {
                self.click_named(sight, Query::Css(sel), deadline, step_timeout)
            }
            UserAnswer::Text(text) => {
                self.click_named(sight, Query::Text(text), deadline, step_timeout)
            }
            UserAnswer::Script(js) => {
                let banner = sight.look(&mut self.worlds).best().cloned();
                let before = match &banner {
                    Some(b) => sight.stored(&mut self.worlds, &b.frame_id),
                    None => Stored::default(),
                };
                let acted = self
                    .worlds
                    .page()
                    .act(js, self.worlds.call_timeout)
                    .map(|_| format!("script `{js}` in the top frame"))
                    .map_err(|e| Error::browser(anyhow!("consent script `{js}` failed: {e}")));
                Given {
                    acted,
                    banner,
                    before,
                }
            }
        }
    }

    /// Clicks the element `query` finds, searching again while it re-renders under the click.
    fn click_named(
        &mut self,
        sight: &Sight,
        query: Query,
        deadline: Instant,
        step_timeout: Duration,
    ) -> Given {
        let verb = self.action();
        let mut banner = None;
        let mut before = Stored::default();
        let acted = loop {
            match search(&mut self.worlds, query, deadline, step_timeout) {
                Err(e) => break Err(e.context(format!("cannot {verb} consent"))),
                Ok((found, what)) => {
                    banner = sight.around(&mut self.worlds, &found);
                    before = sight.stored(&mut self.worlds, &found.frame_id);
                    match crate::browser::dom::click(&mut self.worlds, &found) {
                        Ok(how) => break Ok(describe_click(&what, &found, &how)),
                        Err(ClickError::Gone) if Instant::now() < deadline => {}
                        Err(ClickError::Gone) => {
                            break Err(Error::site(anyhow!(
                                "cannot {verb} consent: {} left the page",
                                found.label
                            )));
                        }
                        Err(ClickError::Failed(e)) => {
                            break Err(Error::new(
                                e.kind(),
                                anyhow!(
                                    "cannot {verb} consent: clicking {} failed: {e}",
                                    found.label
                                ),
                            ));
                        }
                    }
                }
            }
        };
        Given {
            acted,
            banner,
            before,
        }
    }

    /// After a user's answer where no CMP is known: the banner around what was clicked must
    /// leave and stay away, as an answer by sight must.
    fn check_banner(&mut self, sight: &Sight, banner: &Sighted, before: &Stored) {
        let top = self.worlds.top().to_string();
        let top_context = self.worlds.context(&top).ok();
        let mut out = Answered::default();
        sight.check(&mut self.worlds, banner, before, top_context, &mut out);
        let mut seen = banner.seen();
        seen.confidence = 1.0;
        seen.grounds = vec!["the banner around the element the user named".into()];
        self.record.banner = Some(seen);
        self.record.verified = out.verified;
        self.record.record_keys = out.record_keys;
        self.record.outcome = Some(out.outcome);
        self.record.done = out.done;
    }

    /// After a user's answer: the known CMPs' banners must close and their records hold the
    /// choice asked for.
    fn check_cmps(&mut self, detected: &BTreeMap<usize, String>) {
        let rules = self.rules;
        // The banners that still show, until they close or the bound passes.
        let mut open: Vec<usize> = Vec::new();
        let clock = self.clock;
        clock.run_ahead(VERIFY_BOUND, || {
            open = detected
                .keys()
                .copied()
                .filter(|&i| self.is_shown(&rules.cmps()[i]) == Some(true))
                .collect();
            open.is_empty()
        });
        let want = self.action();
        let mut notes = Vec::new();
        for &i in detected.keys() {
            let cmp = &rules.cmps()[i];
            self.record.cmp.get_or_insert_with(|| cmp.id.clone());
            if open.contains(&i) {
                notes.push(format!("{}'s banner is still shown", cmp.id));
                self.record.done = false;
            }
            if let Some(got) = read_choice(self.worlds.page(), cmp, self.worlds.call_timeout, clock)
            {
                if got != want {
                    notes.push(format!(
                        "{} recorded `{got}` where `{want}` was asked",
                        cmp.id
                    ));
                    self.record.done = false;
                } else {
                    notes.push(format!("{} recorded `{got}`", cmp.id));
                }
                self.record.recorded = Some(got);
            }
        }
        if open.is_empty() && self.record.done {
            notes.insert(0, "the banner closed".into());
            self.record
                .verified
                .push("the consent manager's banner closed".into());
        }
        self.record.outcome = Some(notes.join("; "));
    }
}
