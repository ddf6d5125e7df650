//! Automatic consent: detect the page's consent managers, answer the first banner that shows, check that it took.

use super::ConsentRecord;
use super::dom::{self, ClickError, Found, Located, Mode, Worlds};
use super::rules::{Cmp, CmpRules, Step, Targets};
use crate::browser::cdp::Page;
use crate::browser::clock::PageClock;
use crate::browser::input::Gestures;
use crate::browser::poll_until;
use crate::browser::watch::FrameInfo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a page without any known CMP is watched for a late one before giving up.
const DETECT_GRACE: Duration = Duration::from_secs(3);

/// How long the banner may take to close after the click.
const VERIFY_BOUND: Duration = Duration::from_secs(2);

/// How long a closed banner must stay closed to count (it may re-appear at once).
const STAY_CLOSED: Duration = Duration::from_millis(300);

/// How long the CMP's consent record may take to be written after its banner closed.
const RECORD_BOUND: Duration = Duration::from_secs(1);

/// How long to look for a banner after the visitor's gestures on a page that showed none.
const AFTER_GESTURE: Duration = Duration::from_millis(600);

/// How often a banner that re-appears is answered again before giving up.
const MAX_ANSWERS: usize = 3;

/// Pause between two looks at the page while waiting for an element.
const POLL: Duration = Duration::from_millis(20);

/// See [`super::auto_consent`].
// The page, what to answer and three bounds: grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn auto_consent(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    reject: bool,
    step_timeout: Duration,
    call_timeout: Duration,
    clock: &PageClock,
    gestures: &mut Gestures,
) -> ConsentRecord {
    let start = Instant::now();
    let mut run = AutoRun {
        worlds: Worlds::new(page, frames, call_timeout),
        rules,
        reject,
        step_timeout,
        deadline: start + step_timeout,
        // A CMP shows up early in a page's life; the widget step's wait already counted.
        grace: DETECT_GRACE
            .saturating_sub(clock.page_age())
            .min(step_timeout),
        clock,
        record: ConsentRecord::default(),
        optional_clicked: false,
    };
    run.run(start, gestures);
    run.worlds.release();
    run.record.duration_ms = start.elapsed().as_millis() as u64;
    run.record.page_age_ms = Some(clock.page_age().as_millis() as u64);
    run.record
}

/// One automatic answer in progress.
struct AutoRun<'a, 'p> {
    worlds: Worlds<'p>,
    rules: &'a CmpRules,
    reject: bool,
    step_timeout: Duration,
    /// Every wait ends here (verifying a click may run a little past it).
    deadline: Instant,
    /// How long to look for a CMP when none is there at first.
    grace: Duration,
    /// The page's clock: the waits for a CMP that may not come run on it.
    clock: &'p PageClock,
    record: ConsentRecord,
    /// An optional `click` step of the sequence now running found its element and clicked it.
    optional_clicked: bool,
}

/// A step that answered: which one, and on what.
struct Acted {
    step: usize,
    element: String,
}

/// What the page did after the answer.
enum Verdict {
    Closed,
    Navigated(String),
    Reappeared,
    StillShown(Duration),
}

impl<'a> AutoRun<'a, '_> {
    fn action(&self) -> &'static str {
        if self.reject { "reject" } else { "accept" }
    }

    fn run(&mut self, start: Instant, gestures: &mut Gestures) {
        let rules = self.rules;
        // A page without any known CMP costs a short grace, not the whole step.
        let grace = self.grace;
        let mut detected: BTreeMap<usize, String> = BTreeMap::new();
        let clock = self.clock;
        clock.run_ahead(grace, || {
            detected = self.detect();
            !detected.is_empty()
        });
        // Some sites load their banner only once the visitor moves: move, then look again.
        while detected.is_empty() && Instant::now() < self.deadline {
            let page = self.worlds.page();
            if gestures.next(page, self.worlds.call_timeout).is_none() {
                break;
            }
            let window = AFTER_GESTURE.min(self.deadline.saturating_duration_since(Instant::now()));
            clock.run_ahead(window, || {
                detected = self.detect();
                !detected.is_empty()
            });
            if !detected.is_empty() {
                self.record.gesture = Some(gestures.describe());
            }
        }
        if detected.is_empty() {
            return;
        }
        // A detected CMP may show its banner late (a geo lookup, a delay): wait for one, keeping
        // a little of the step for the answer itself.
        let reserve = (self.step_timeout / 4).min(Duration::from_secs(2));
        let show_by = self.deadline.checked_sub(reserve).unwrap_or(self.deadline);
        let mut shown: Vec<usize> = Vec::new();
        clock.run_ahead(show_by.saturating_duration_since(Instant::now()), || {
            detected.extend(self.detect());
            shown = detected
                .keys()
                .copied()
                .filter(|&i| self.is_shown(&rules.cmps()[i]) == Some(true))
                .collect();
            !shown.is_empty()
        });
        self.record.detected = detected
            .keys()
            .map(|&i| rules.cmps()[i].id.clone())
            .collect();
        if shown.is_empty() {
            let waited = start.elapsed();
            for (&i, how) in &detected {
                self.record.tried.push(format!(
                    "{}: detected ({how}), but its banner did not show within {:.1} s",
                    rules.cmps()[i].id,
                    waited.as_secs_f64()
                ));
            }
            return;
        }
        // Banners that show first, in rule order; then the other detected CMPs.
        let order: Vec<usize> = shown
            .iter()
            .copied()
            .chain(detected.keys().copied().filter(|i| !shown.contains(i)))
            .collect();
        for i in order {
            if self.answer(&rules.cmps()[i]) {
                return;
            }
        }
    }

    /// The CMPs whose detect condition holds now, by rule index, with what showed each.
    fn detect(&mut self) -> BTreeMap<usize, String> {
        let cmps = self.rules.cmps();
        let paths: Vec<&str> = cmps
            .iter()
            .flat_map(|c| c.detect.globals.iter().map(String::as_str))
            .collect();
        let script = format!(
            r#"(() => {{
  const has = (path) => {{ try {{
    let o = window;
    for (const k of path.split('.')) {{ if (o == null || !(k in Object(o))) return false; o = o[k]; }}
    return o !== undefined && o !== null;
  }} catch (e) {{ return false; }} }};
  return {paths}.map(has);
}})()"#,
            paths = serde_json::to_string(&paths).expect("strings serialize")
        );
        // Globals live in the page's own world, not in ours.
        let defined: Vec<bool> = self
            .worlds
            .page()
            .evaluate(&script, self.worlds.call_timeout)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .map(|a| a.iter().map(|b| b.as_bool() == Some(true)).collect())
            .unwrap_or_default();
        let chains: Vec<&[String]> = cmps
            .iter()
            .flat_map(|c| c.detect.present.chains().map(|ch| ch.0.as_slice()))
            .collect();
        let present = dom::resolve(&mut self.worlds, &chains, Mode::Present);
        let mut found = BTreeMap::new();
        let (mut g, mut p) = (0, 0);
        for (i, c) in cmps.iter().enumerate() {
            let mut how = Vec::new();
            for name in &c.detect.globals {
                if defined.get(g) == Some(&true) {
                    how.push(format!("global {name}"));
                }
                g += 1;
            }
            for chain in c.detect.present.chains() {
                if matches!(present.get(p), Some(Located::Present)) {
                    how.push(chain.to_string());
                }
                p += 1;
            }
            if !how.is_empty() {
                found.insert(i, how.join(", "));
            }
        }
        found
    }

    /// Whether `cmp`'s banner shows; `None` when the page could not be asked.
    fn is_shown(&mut self, cmp: &Cmp) -> Option<bool> {
        let chains: Vec<&[String]> = cmp.shown.chains().map(|c| c.0.as_slice()).collect();
        let located = dom::resolve(&mut self.worlds, &chains, Mode::Visible);
        if located.iter().any(|l| matches!(l, Located::Visible)) {
            Some(true)
        } else if located.iter().any(|l| matches!(l, Located::Failed(_))) {
            None
        } else {
            Some(false)
        }
    }

    /// Answers `cmp`'s banner; true when the answer took.
    fn answer(&mut self, cmp: &Cmp) -> bool {
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
            match self.verify(cmp, top_context) {
                Verdict::Closed => {
                    return self.check_record(cmp, "the banner closed".into());
                }
                Verdict::Navigated(url) => {
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

    /// After the banner closed: the answer took unless the CMP's own record holds another choice.
    fn check_record(&mut self, cmp: &Cmp, outcome: String) -> bool {
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

    /// Runs `cmp`'s accept or reject steps; the last step that answered, or why none could.
    fn run_steps(&mut self, cmp: &Cmp) -> Result<Acted, String> {
        let mut acted = None;
        for (i, step) in cmp.steps(self.reject).iter().enumerate() {
            let n = i + 1;
            let label = format!("{} step {n} ({})", self.action(), step.kind());
            let t0 = Instant::now();
            match step {
                Step::WaitClick(targets) | Step::Click(targets) => {
                    let wait = matches!(step, Step::WaitClick(_));
                    match self.click_first(targets, wait) {
                        Ok(element) => {
                            self.optional_clicked |= !wait;
                            acted = Some(Acted { step: n, element })
                        }
                        // A plain `click` is optional: the sequence goes on without it.
                        Err(_) if !wait => {}
                        Err(why) => {
                            return Err(format!(
                                "{label}: {why} after {:.1} s",
                                t0.elapsed().as_secs_f64()
                            ));
                        }
                    }
                }
                Step::Wait(targets) => {
                    let chains: Vec<&[String]> = targets.chains().map(|c| c.0.as_slice()).collect();
                    let mut last = Vec::new();
                    let until = self.wait_bound();
                    let present = poll_until(until, || {
                        last = dom::resolve(&mut self.worlds, &chains, Mode::Present);
                        last.iter().any(|l| matches!(l, Located::Present))
                    });
                    if !present {
                        return Err(format!(
                            "{label}: {} after {:.1} s",
                            why_none(targets, &last),
                            t0.elapsed().as_secs_f64()
                        ));
                    }
                }
                Step::Eval(js) => match self.worlds.page().act(js, self.worlds.call_timeout) {
                    Err(e) => return Err(format!("{label} `{js}`: {e}")),
                    Ok(Value::Bool(false)) => {
                        return Err(format!("{label} `{js}` returned false"));
                    }
                    Ok(_) => {
                        acted = Some(Acted {
                            step: n,
                            element: format!("script `{js}` in the top frame"),
                        })
                    }
                },
                Step::Hide(targets) => {
                    let chains: Vec<&[String]> = targets.chains().map(|c| c.0.as_slice()).collect();
                    let _ = dom::hide(&mut self.worlds, &chains);
                }
            }
        }
        acted.ok_or_else(|| format!("{}: no step found anything to click", self.action()))
    }

    /// How long one step may wait: half the step, so a failing rule leaves time for the next CMP.
    fn wait_bound(&self) -> Instant {
        (Instant::now() + self.step_timeout / 2).min(self.deadline)
    }

    /// Clicks the first alternative that is ready, waiting (bounded) for one when `wait`.
    fn click_first(&mut self, targets: &Targets, wait: bool) -> Result<String, String> {
        let chains: Vec<&[String]> = targets.chains().map(|c| c.0.as_slice()).collect();
        let until = self.wait_bound();
        loop {
            let located = dom::resolve(&mut self.worlds, &chains, Mode::Ready);
            let ready = located.iter().enumerate().find_map(|(i, l)| match l {
                Located::Ready(f) => Some((i, f.clone())),
                _ => None,
            });
            if let Some((i, found)) = ready {
                match dom::click(&mut self.worlds, &found) {
                    Ok(how) => return Ok(describe_click(&targets.0[i].to_string(), &found, &how)),
                    // Re-rendered between looking and clicking: look again.
                    Err(ClickError::Gone) => {}
                    Err(ClickError::Failed(e)) => {
                        return Err(format!(
                            "clicking {} {} failed: {e}",
                            targets.0[i], found.label
                        ));
                    }
                }
            }
            let now = Instant::now();
            if !wait || now >= until {
                return Err(why_none(targets, &located));
            }
            std::thread::sleep(POLL.min(until - now));
        }
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

/// Checks a user's own answer (a selector, a script, a button text) the way automatic answers
/// are checked: the known CMPs on the page, their banners closing, their records' choice.
pub fn check_user_answer(
    page: &Page,
    frames: &[FrameInfo],
    rules: &CmpRules,
    reject: bool,
    call_timeout: Duration,
    record: &mut ConsentRecord,
) {
    // Nothing here waits for what may not come: the banner was there to be answered.
    let real = PageClock::real();
    let mut run = AutoRun {
        worlds: Worlds::new(page, frames, call_timeout),
        rules,
        reject,
        step_timeout: VERIFY_BOUND * 2,
        deadline: Instant::now() + VERIFY_BOUND,
        grace: Duration::ZERO,
        clock: &real,
        record: ConsentRecord::default(),
        optional_clicked: false,
    };
    let detected = run.detect();
    record.detected = detected
        .keys()
        .map(|&i| rules.cmps()[i].id.clone())
        .collect();
    if detected.is_empty() {
        run.worlds.release();
        if record.done {
            record.outcome =
                Some("no known consent manager on the page to check the answer against".into());
        }
        return;
    }
    // The banners that still show, until they close or the bound passes.
    let mut open: Vec<usize> = Vec::new();
    poll_until(Instant::now() + VERIFY_BOUND, || {
        open = detected
            .keys()
            .copied()
            .filter(|&i| run.is_shown(&rules.cmps()[i]) == Some(true))
            .collect();
        open.is_empty()
    });
    let want = if reject { "reject" } else { "accept" };
    let mut notes = Vec::new();
    for &i in detected.keys() {
        let cmp = &rules.cmps()[i];
        record.cmp.get_or_insert_with(|| cmp.id.clone());
        if open.contains(&i) {
            notes.push(format!("{}'s banner is still shown", cmp.id));
            record.done = false;
        }
        if let Some(got) = read_choice(page, cmp, call_timeout, &real) {
            if got != want {
                notes.push(format!(
                    "{} recorded `{got}` where `{want}` was asked",
                    cmp.id
                ));
                record.done = false;
            } else {
                notes.push(format!("{} recorded `{got}`", cmp.id));
            }
            record.recorded = Some(got);
        }
    }
    run.worlds.release();
    if open.is_empty() && record.done {
        notes.insert(0, "the banner closed".into());
    }
    record.outcome = Some(notes.join("; "));
}

/// "`chain` → <button#x> "Accept" in the top frame, by mouse click at (x, y)".
pub(super) fn describe_click(chain: &str, found: &Found, how: &str) -> String {
    format!("{chain} → {} {}, by {how}", found.label, found.place())
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
