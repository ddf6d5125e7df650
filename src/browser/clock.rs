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
//! The window ends when its condition holds or the page has lived through it; its length in
//! real time stays the bound. Page time runs only where Chromium's virtual time reaches, the
//! page's own renderer: a frame in another process (a cross-origin iframe on a browser with site
//! isolation, as farms run) keeps real time.

use super::cdp::Page;
use super::poll_until;
use crate::vocab::Clock;
use serde_json::json;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the ticker reads the page's clock and grants what it may live next.
const TICK: Duration = Duration::from_millis(10);

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
    /// The pause-policy grant in force reaches this page time (ms).
    fast_to: Option<f64>,
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
    /// Page time run ahead of real time so far.
    ahead: Mutex<Duration>,
    /// When the clock started (the page's age counts from here).
    since: Instant,
}

/// How a wait on the page's clock ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// The condition held.
    Answered,
    /// The page lived through the window without it.
    Lived,
}

impl Waited {
    pub fn answered(self) -> bool {
        self == Waited::Answered
    }
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
                    fast_to: None,
                    stopped: true,
                }),
                wake: Condvar::new(),
            }),
            ticker: None,
            ahead: Mutex::new(Duration::ZERO),
            since: Instant::now(),
        }
    }

    /// Puts `page` on the clock `mode` asks for, from now; its age counts from `since` (when it
    /// was navigated). A browser that refuses virtual time, or a page whose clock cannot be
    /// read, stays on real time (the waits are then as long as their bounds, never wrong).
    pub fn start(mode: Clock, page: &Page, call_timeout: Duration, since: Instant) -> PageClock {
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
                fast_to: None,
                stopped: false,
            }),
            wake: Condvar::new(),
        });
        let ticker = {
            let (page, shared) = (page.clone(), Arc::clone(&shared));
            std::thread::spawn(move || pace(&page, &shared, call_timeout))
        };
        PageClock {
            page: Some(page.clone()),
            shared,
            ticker: Some(ticker),
            ahead: Mutex::new(Duration::ZERO),
            since,
        }
    }

    /// Whether the page runs on page time (`false`: real time).
    pub fn is_fast(&self) -> bool {
        self.page.is_some()
    }

    /// How far page time has been run ahead of real time so far (zero on real time).
    pub fn ahead(&self) -> Duration {
        *self.ahead.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long the page has lived by its own clock since it was navigated.
    pub fn page_age(&self) -> Duration {
        self.since.elapsed() + self.ahead()
    }

    /// Lets the page live through `window` of its own time, or until `cond` holds, whichever
    /// comes first; `cond` is checked every 10 ms of real time and once more at the end. Real
    /// time is bounded by `window` too: page time never runs slower than real time.
    pub fn run_ahead(&self, window: Duration, mut cond: impl FnMut() -> bool) -> Waited {
        let bound = Instant::now() + window;
        let answer = |held: bool| {
            if held {
                Waited::Answered
            } else {
                Waited::Lived
            }
        };
        if self.page.is_none() || window.is_zero() {
            return answer(poll_until(bound, cond));
        }
        if cond() {
            return Waited::Answered;
        }
        {
            let mut st = self.shared.lock();
            let Some(from) = st.page_ms else {
                drop(st);
                return answer(poll_until(bound, cond));
            };
            st.ahead_to = Some(from + window.as_secs_f64() * 1000.0);
        }
        self.shared.wake.notify_all();
        let mut answered = false;
        poll_until(bound, || {
            answered = cond();
            answered || {
                let st = self.shared.lock();
                st.stopped || matches!((st.page_ms, st.ahead_to), (Some(p), Some(to)) if p >= to)
            }
        });
        let mut st = self.shared.lock();
        st.ahead_to = None;
        // The page keeps the time it lived: the real-time line moves up to it.
        if let (Some(p), Some(line)) = (st.page_ms, st.line_ms) {
            let line_now = line + st.line_at.elapsed().as_secs_f64() * 1000.0;
            if p > line_now {
                *self.ahead.lock().unwrap_or_else(|e| e.into_inner()) +=
                    Duration::from_secs_f64((p - line_now) / 1000.0);
                st.line_ms = Some(p);
                st.line_at = Instant::now();
            }
        }
        drop(st);
        answer(answered)
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
/// real time at least (a tick ahead of the line), up to a window's end while one is open.
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
        st.page_ms = Some(p);
        let line = st.line_ms.unwrap_or(p) + st.line_at.elapsed().as_secs_f64() * 1000.0;
        let call = if p + tick_ms / 2.0 < line {
            // Behind real time (a fetch held it, or the page was busy): catch up, a tick ahead.
            st.fast_to = None;
            Some(("advance", line - p + tick_ms))
        } else if let Some(to) = st.ahead_to.filter(|to| p < *to) {
            // A window is open: run ahead to its end while nothing downloads (one grant).
            (st.fast_to != Some(to)).then(|| {
                st.fast_to = Some(to);
                ("pauseIfNetworkFetchesPending", to - p + tick_ms)
            })
        } else if st.ahead_to.is_some() {
            None
        } else {
            // On the line: one more tick of real time (this also ends a window's grant).
            st.fast_to = None;
            Some(("advance", line - p + tick_ms))
        };
        drop(st);
        if let Some((policy, ms)) = call {
            let budget = Duration::from_secs_f64(ms.max(0.0) / 1000.0);
            if grant(page, policy, budget, call_timeout).is_err() && page.cdp.is_closed() {
                shared.lock().stopped = true;
                return;
            }
        }
        let st = shared.lock();
        if st.stopped {
            return;
        }
        let _ = shared.wake.wait_timeout(st, TICK);
    }
}
