//! The page's clock: real time, or page time that runs ahead while the scan waits for what may not come.
//!
//! A widget or banner a site schedules with `setTimeout(…, 2500)` comes 2.5 s of *page* time
//! later; waiting for it in real time was most of a scan. With [`Clock::Fast`] the page runs on
//! Chromium's virtual time (CDP `Emulation.setVirtualTimePolicy`, what `--virtual-time-budget`
//! uses), driven by a ticker that reads the page's own clock (`performance.now()`) every 10 ms:
//! - page time never falls behind real time: whatever holds it back, the ticker grants what is
//!   missing (`advance`), so every timer fires no later than on a real clock;
//! - while [`PageClock::run_ahead`] waits for something, the page may also run *ahead*, up to the
//!   window's end, whenever nothing is downloading (`pauseIfNetworkFetchesPending`): timers fire
//!   as soon as the page is idle, a script still downloading is waited for, not outrun.
//!
//! The window ends when its condition holds or the page has lived through it (Chromium says so
//! at once, `Emulation.virtualTimeBudgetExpired`, and the ticker reads the page's clock then,
//! not a tick later); its length in real time stays the bound. Page time runs only where
//! Chromium's virtual time reaches, the page's own renderer: a frame in another process (a
//! cross-origin iframe on a browser with site isolation, as farms run) keeps real time.

use super::cdp::Page;
use super::poll_until;
use super::watch::{BudgetListener, PageWatch};
use crate::vocab::Clock;
use serde_json::json;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the ticker reads the page's clock and grants what it may live next: a reading of
/// [`PageClock::page_ms`] is at most this old.
pub const TICK: Duration = Duration::from_millis(10);

/// How many ticks past the real-time line a grant reaches: a grant every few ticks, not every
/// one, and a page never more than this ahead of real time outside a window.
const LEAD: f64 = 3.0;

/// How often a window's condition is looked at while the page lives through it.
const CHECK: Duration = Duration::from_millis(10);

/// What the ticker knows and is asked, shared with the scan's thread.
#[derive(Debug, Clone, Copy)]
struct State {
    /// Page time (ms) at which a window ends, while `run_ahead` waits; `None`: keep real time.
    ahead_to: Option<f64>,
    /// Page time (ms) last read, and the real time of the reading.
    page_ms: Option<f64>,
    /// Page time (ms) the page must have reached by `line_at`: the real-time line.
    line_ms: Option<f64>,
    line_at: Instant,
    /// The grant in force: its policy and the page time (ms) it reaches.
    granted: Option<(&'static str, f64)>,
    /// Page time run ahead of real time so far.
    ahead: Duration,
    stopped: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The clock of one page; stops its ticker when dropped.
pub struct PageClock {
    page: Option<Page>,
    shared: Arc<Shared>,
    ticker: Option<JoinHandle<()>>,
    /// How long one CDP call may take.
    call_timeout: Duration,
    /// When the page was navigated (its age counts from here).
    since: Instant,
    /// How far page time had run ahead when it was navigated.
    ahead_at_since: Duration,
}

impl PageClock {
    /// A clock that is real time from now: every wait is a real-time poll.
    pub fn real() -> PageClock {
        PageClock {
            page: None,
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    ahead_to: None,
                    page_ms: None,
                    line_ms: None,
                    line_at: Instant::now(),
                    granted: None,
                    ahead: Duration::ZERO,
                    stopped: true,
                }),
                wake: Condvar::new(),
            }),
            ticker: None,
            call_timeout: Duration::from_secs(5),
            since: Instant::now(),
            ahead_at_since: Duration::ZERO,
        }
    }

    /// Puts `page` on the clock `mode` asks for, from now; its age counts from `since` (when it
    /// was navigated). A browser that refuses virtual time, or a page whose clock cannot be
    /// read, stays on real time (the waits are then as long as their bounds, never wrong).
    /// `watch` is the page's: a window ends when the page says it lived its grant, not a tick
    /// later.
    pub fn start(
        mode: Clock,
        page: &Page,
        watch: &PageWatch,
        call_timeout: Duration,
        since: Instant,
    ) -> PageClock {
        let mut real = PageClock::real();
        real.since = since;
        if mode == Clock::Real {
            return real;
        }
        let Some(now_ms) = page_now(page, call_timeout) else {
            return real;
        };
        if grant(page, "advance", TICK, call_timeout).is_err() {
            return real;
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                ahead_to: None,
                page_ms: Some(now_ms),
                line_ms: Some(now_ms),
                line_at: Instant::now(),
                granted: Some(("advance", now_ms + TICK.as_secs_f64() * 1000.0)),
                ahead: Duration::ZERO,
                stopped: false,
            }),
            wake: Condvar::new(),
        });
        let told = Arc::clone(&shared);
        watch.lock().on_budget_expired = Some(BudgetListener(Arc::new(move || {
            // Only a window's grant is waited on; real-time grants run out every few ticks.
            if told.lock().ahead_to.is_some() {
                told.wake.notify_all();
            }
        })));
        let ticker = {
            let (page, shared) = (page.clone(), Arc::clone(&shared));
            std::thread::Builder::new()
                .name("ticker".into())
                .spawn(move || pace(&page, &shared, call_timeout))
                .unwrap()
        };
        PageClock {
            page: Some(page.clone()),
            shared,
            ticker: Some(ticker),
            call_timeout,
            since,
            ahead_at_since: Duration::ZERO,
        }
    }

    /// True when the page runs on virtual time (`Clock::Fast` in force): its waits can run ahead.
    pub fn is_virtual(&self) -> bool {
        self.page.is_some()
    }

    /// How far page time has been run ahead of real time so far (zero on real time).
    pub fn ahead(&self) -> Duration {
        self.shared.lock().ahead
    }

    /// The page's own time (ms, `performance.now()`) as the ticker last read it, at most a
    /// [`TICK`] old; `None` on real time. It stands still while the renderer is busy.
    pub fn page_ms(&self) -> Option<f64> {
        if !self.is_virtual() {
            return None;
        }
        self.shared.lock().page_ms
    }

    /// How long the page has lived by its own clock since it was navigated.
    pub fn page_age(&self) -> Duration {
        (self.since.elapsed() + self.ahead()).saturating_sub(self.ahead_at_since)
    }

    /// The tab went on to another page at `at`: the clock keeps running (the ticker follows the
    /// new document's time), and the page's age counts from then.
    pub fn navigated(&mut self, at: Instant) {
        self.since = at;
        self.ahead_at_since = self.ahead();
    }

    /// Lets the page live through `window` of its own time, or until `cond` holds, whichever
    /// comes first; true if `cond` held. `cond` is checked every 10 ms of real time and once
    /// more at the end. Real time is bounded by `window` too: page time never runs slower than
    /// real time.
    pub fn run_ahead(&self, window: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let bound = Instant::now() + window;
        let Some(page) = self.page.as_ref().filter(|_| !window.is_zero()) else {
            return poll_until(bound, cond);
        };
        if cond() {
            return true;
        }
        {
            let mut st = self.shared.lock();
            let Some(from) = st.page_ms else {
                drop(st);
                return poll_until(bound, cond);
            };
            st.ahead_to = Some(from + window.as_secs_f64() * 1000.0);
        }
        self.shared.wake.notify_all();
        // The ticker tells when it read the window's end: no poll's delay on top of it.
        let mut answered;
        loop {
            answered = cond();
            let st = self.shared.lock();
            let reached = matches!((st.page_ms, st.ahead_to), (Some(p), Some(to)) if p >= to);
            let now = Instant::now();
            if answered || st.stopped || reached || now >= bound {
                break;
            }
            let _ = self.shared.wake.wait_timeout(st, CHECK.min(bound - now));
        }
        if !answered && Instant::now() >= bound {
            // As `poll_until`: the condition is looked at once more at the bound.
            answered = cond();
        }
        {
            let mut st = self.shared.lock();
            st.ahead_to = None;
            st.granted = None;
        }
        // End the run-ahead grant now: left in force, it would carry the page on to the
        // window's end after the answer came (the ticker then moves the line up to it).
        let _ = grant(page, "advance", TICK, self.call_timeout);
        answered
    }
}

impl Drop for PageClock {
    fn drop(&mut self) {
        self.shared.lock().stopped = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

/// The page's clock (`performance.now()`, in ms), as its timers see it.
fn page_now(page: &Page, timeout: Duration) -> Option<f64> {
    page.evaluate("performance.now()", timeout)
        .ok()
        .and_then(|v| v.as_f64())
}

/// Hands the page a budget of page time under `policy`.
fn grant(
    page: &Page,
    policy: &str,
    budget: Duration,
    timeout: Duration,
) -> Result<(), super::cdp::CdpError> {
    page.call(
        "Emulation.setVirtualTimePolicy",
        json!({ "policy": policy, "budget": budget.as_secs_f64() * 1000.0 }),
        timeout,
    )
    .map(|_| ())
}

/// The ticker: every tick it reads the page's clock and grants what the page may live next,
/// real time at least (a few ticks ahead of the line), up to a window's end while one is open.
fn pace(page: &Page, shared: &Shared, call_timeout: Duration) {
    let tick_ms = TICK.as_secs_f64() * 1000.0;
    loop {
        let read = page_now(page, call_timeout);
        let mut st = shared.lock();
        if st.stopped || page.cdp.is_closed() {
            st.stopped = true;
            return;
        }
        let Some(p) = read.or(st.page_ms) else {
            let _ = shared.wake.wait_timeout(st, TICK);
            continue;
        };
        let now = Instant::now();
        if st.page_ms.is_some_and(|before| p + tick_ms < before) {
            // A new document (the tab went on to another page): its clock starts near zero, and
            // real time runs on from its own reading, not from the old document's line.
            st.line_ms = Some(p);
            st.line_at = now;
            st.granted = None;
        }
        let moved = st.page_ms.is_none_or(|before| p > before);
        st.page_ms = Some(p);
        if st.ahead_to.is_some_and(|to| p >= to) {
            // The window's end is reached: its waiter goes on at once.
            shared.wake.notify_all();
        }
        let mut line = st.line_ms.unwrap_or(p) + (now - st.line_at).as_secs_f64() * 1000.0;
        if p > line + (LEAD + 0.5) * tick_ms {
            // The page lived ahead, further than a real-time grant reaches (a window, a grant
            // that outran it): it keeps that time, and real time runs on from there. A line
            // left behind would freeze the page until real time caught up, stalling its parser,
            // its loads and its input.
            st.ahead += Duration::from_secs_f64((p - line) / 1000.0);
            st.line_ms = Some(p);
            st.line_at = now;
            line = p;
        }
        let advance = |st: &mut State| {
            let to = line + LEAD * tick_ms;
            st.granted = Some(("advance", to));
            Some(("advance", to - p))
        };
        let behind = p + tick_ms / 2.0 < line;
        let call = if let Some(to) = st.ahead_to.filter(|to| p < *to && (moved || !behind)) {
            // A window is open: run ahead to its end while nothing downloads (one grant). A
            // page behind the line catches up under it too, unless a download holds it.
            (st.granted != Some(("pauseIfNetworkFetchesPending", to))).then(|| {
                st.granted = Some(("pauseIfNetworkFetchesPending", to));
                ("pauseIfNetworkFetchesPending", to - p)
            })
        } else if st.ahead_to.is_some() && !behind {
            // The window's end is reached: the page waits for real time or the window's close.
            None
        } else {
            // Keep real time: grant up to a few ticks past the line once real time nears the end
            // of the grant in force (an idle page lives its grant at once, a busy one later).
            match st.granted {
                Some(("advance", to)) if to - line > tick_ms / 2.0 => None,
                _ => advance(&mut st),
            }
        };
        drop(st);
        if let Some((policy, ms)) = call {
            let budget = Duration::from_secs_f64(ms.max(0.0) / 1000.0);
            if grant(page, policy, budget, call_timeout).is_err() {
                // Not in force: the next tick grants again.
                let mut st = shared.lock();
                st.granted = None;
                if page.cdp.is_closed() {
                    st.stopped = true;
                    return;
                }
            }
        }
        let st = shared.lock();
        if st.stopped {
            return;
        }
        let _ = shared.wake.wait_timeout(st, TICK);
    }
}
