//! Rule conditions evaluated in the page: every leaf of every condition asked at once, one request
//! per document (plus one for the page's globals), then judged here.

use crate::browser::cdp::Page;
use crate::browser::dom::{self, Located, Lookup, Mode, Worlds};
use crate::consent::rules::{Check, Cmp, Condition};
use std::time::Duration;

/// A document a rule may run in: the top one, or a frame.
#[derive(Debug, Clone)]
pub(super) struct Document {
    pub id: String,
    pub url: String,
    pub top: bool,
}

/// The top document, and every frame when `with_frames`; URLs are read only when asked for
/// (one `Page.getFrameTree`), since only `url_pattern` and frame rules need them.
pub(super) fn documents(worlds: &Worlds, with_urls: bool) -> Vec<Document> {
    let top = worlds.top();
    if !with_urls {
        return vec![Document {
            id: top.to_string(),
            url: String::new(),
            top: true,
        }];
    }
    let mut docs: Vec<Document> = worlds
        .frames()
        .into_iter()
        .map(|f| Document {
            top: f.id == top,
            id: f.id,
            url: f.url,
        })
        .collect();
    if !docs.iter().any(|d| d.top) {
        docs.insert(
            0,
            Document {
                id: top.to_string(),
                url: String::new(),
                top: true,
            },
        );
    }
    docs
}

/// True when a rule needs the documents' URLs: it runs in frames, or only on some URLs.
pub(super) fn needs_urls(cmp: &Cmp) -> bool {
    cmp.run.frame || cmp.run.url_pattern.is_some()
}

/// The documents `cmp` runs in, the top one first.
pub(super) fn documents_for(worlds: &Worlds, cmp: &Cmp) -> Vec<Document> {
    documents(worlds, needs_urls(cmp))
        .into_iter()
        .filter(|d| cmp.run.applies(d.top, &d.url))
        .collect()
}

/// What a condition came to: None when the page could not be asked; what made it hold.
#[derive(Debug, Clone)]
pub(super) struct Held {
    pub holds: Option<bool>,
    pub how: String,
}

/// Evaluates each (condition, frame id): one request per document for every element leaf and
/// its cookies, all sent at once, and one for the globals (read in the page's own world).
pub(super) fn evaluate(worlds: &mut Worlds, asks: &[(&Condition, &str)]) -> Vec<Held> {
    let mut lookups: Vec<Lookup> = Vec::new();
    let mut globals: Vec<&str> = Vec::new();
    // Per ask: its lookup, and where its leaves start there and among the globals.
    let mut plan: Vec<(usize, usize, usize)> = Vec::with_capacity(asks.len());
    for (condition, frame) in asks {
        let l = match lookups.iter().position(|l| l.frame == *frame) {
            Some(l) => l,
            None => {
                lookups.push(Lookup {
                    frame,
                    asks: Vec::new(),
                    cookie: false,
                });
                lookups.len() - 1
            }
        };
        plan.push((l, lookups[l].asks.len(), globals.len()));
        collect(condition, &mut lookups[l], &mut globals);
    }
    let defined = read_globals(worlds.page(), &globals, worlds.call_timeout);
    let looked = dom::resolve_many(worlds, &lookups);
    plan.iter()
        .zip(asks)
        .map(|(&(l, start, g), (condition, _))| {
            let mut leaves = Leaves {
                located: &looked[l].located[start.min(looked[l].located.len())..],
                globals: defined.as_deref().map(|d| &d[g.min(d.len())..]),
                cookie: looked[l].cookie.as_deref(),
            };
            judge(condition, &mut leaves)
        })
        .collect()
}

/// Adds the condition's leaves, in the order [`judge`] takes them.
fn collect<'c>(c: &'c Condition, l: &mut Lookup<'c>, globals: &mut Vec<&'c str>) {
    match c {
        Condition::Exists(t) => l
            .asks
            .extend(t.chains().map(|ch| (ch.0.as_slice(), Mode::Present))),
        Condition::Visible(t, check) => {
            let mode = if *check == Check::Any {
                Mode::Visible
            } else {
                Mode::Count
            };
            l.asks.extend(t.chains().map(|ch| (ch.0.as_slice(), mode)));
        }
        Condition::CookieContains(_) => l.cookie = true,
        Condition::Global(g) => globals.push(g),
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| collect(c, l, globals)),
        Condition::Not(c) => collect(c, l, globals),
    }
}

/// The looked-up leaves, taken in order.
struct Leaves<'a> {
    located: &'a [Located],
    globals: Option<&'a [bool]>,
    cookie: Option<&'a str>,
}

impl<'a> Leaves<'a> {
    fn take(&mut self, n: usize) -> &'a [Located] {
        let n = n.min(self.located.len());
        let (now, rest) = self.located.split_at(n);
        self.located = rest;
        now
    }

    fn global(&mut self) -> Option<bool> {
        let g = self.globals?;
        let (first, rest) = g.split_first()?;
        self.globals = Some(rest);
        Some(*first)
    }
}

fn failed(l: &[Located]) -> bool {
    l.iter().any(|l| matches!(l, Located::Failed(_)))
}

/// A leaf's verdict: true with how, else false, or None when a look failed.
fn verdict(holds: bool, looked: &[Located], how: impl FnOnce() -> String) -> Held {
    if holds {
        Held {
            holds: Some(true),
            how: how(),
        }
    } else {
        Held {
            holds: if failed(looked) { None } else { Some(false) },
            how: String::new(),
        }
    }
}

fn judge(c: &Condition, leaves: &mut Leaves) -> Held {
    match c {
        Condition::Exists(t) => {
            let looked = leaves.take(t.0.len());
            let present: Vec<String> = t
                .chains()
                .zip(looked)
                .filter(|(_, l)| matches!(l, Located::Present))
                .map(|(ch, _)| ch.to_string())
                .collect();
            verdict(!present.is_empty(), looked, || present.join(", "))
        }
        Condition::Visible(t, Check::Any) => {
            let looked = leaves.take(t.0.len());
            let shown: Vec<String> = t
                .chains()
                .zip(looked)
                .filter(|(_, l)| matches!(l, Located::Visible))
                .map(|(ch, _)| format!("{ch} visible"))
                .collect();
            verdict(!shown.is_empty(), looked, || shown.join(", "))
        }
        Condition::Visible(t, check) => {
            let looked = leaves.take(t.0.len());
            if failed(looked) {
                return verdict(false, looked, String::new);
            }
            let (mut total, mut visible) = (0, 0);
            for l in looked {
                if let Located::Counted {
                    total: t,
                    visible: v,
                } = l
                {
                    total += t;
                    visible += v;
                }
            }
            let holds = match check {
                Check::All => total > 0 && visible == total,
                _ => visible == 0,
            };
            verdict(holds, looked, || c.to_string())
        }
        Condition::CookieContains(s) => match leaves.cookie {
            Some(cookie) => verdict(cookie.contains(s.as_str()), &[], || c.to_string()),
            None => Held {
                holds: None,
                how: String::new(),
            },
        },
        Condition::Global(g) => match leaves.global() {
            Some(defined) => verdict(defined, &[], || format!("global {g}")),
            None => Held {
                holds: None,
                how: String::new(),
            },
        },
        Condition::All(cs) => {
            let all: Vec<Held> = cs.iter().map(|c| judge(c, leaves)).collect();
            if all.iter().any(|h| h.holds == Some(false)) {
                Held {
                    holds: Some(false),
                    how: String::new(),
                }
            } else if all.iter().any(|h| h.holds.is_none()) {
                Held {
                    holds: None,
                    how: String::new(),
                }
            } else {
                let how: Vec<String> = all.into_iter().map(|h| h.how).collect();
                Held {
                    holds: Some(true),
                    how: how.join(" and "),
                }
            }
        }
        Condition::Any(cs) => {
            let all: Vec<Held> = cs.iter().map(|c| judge(c, leaves)).collect();
            let how: Vec<&str> = all
                .iter()
                .filter(|h| h.holds == Some(true))
                .map(|h| h.how.as_str())
                .collect();
            if !how.is_empty() {
                Held {
                    holds: Some(true),
                    how: how.join(", "),
                }
            } else {
                Held {
                    holds: if all.iter().any(|h| h.holds.is_none()) {
                        None
                    } else {
                        Some(false)
                    },
                    how: String::new(),
                }
            }
        }
        Condition::Not(inner) => {
            let h = judge(inner, leaves);
            Held {
                holds: h.holds.map(|b| !b),
                how: c.to_string(),
            }
        }
    }
}

/// Whether each global path is defined in the page's own world (ours cannot see its globals);
/// None when the page could not be asked.
fn read_globals(page: &Page, paths: &[&str], timeout: Duration) -> Option<Vec<bool>> {
    if paths.is_empty() {
        return Some(Vec::new());
    }
    let script = format!(
        r#"(() => {{
  const has = (path) => {{ try {{
    let o = window;
    for (const k of path.split('.')) {{ if (o == null || !(k in Object(o))) return false; o = o[k]; }}
    return o !== undefined && o !== null;
  }} catch (e) {{ return false; }} }};
  return {paths}.map(has);
}})()"#,
        paths = serde_json::to_string(paths).expect("strings serialize")
    );
    let defined: Vec<bool> = page
        .evaluate(&script, timeout)
        .ok()?
        .as_array()?
        .iter()
        .map(|b| b.as_bool() == Some(true))
        .collect();
    (defined.len() == paths.len()).then_some(defined)
}

#[cfg(test)]
mod tests {
    use super::super::AutoRun;
    use super::{collect, read_globals};
    use crate::browser::clock::PageClock;
    use crate::browser::dom::{DOM_JS, Lookup, Worlds};
    use crate::browser::{BrowserOptions, BrowserSession, poll_until};
    use crate::consent::{CmpRules, ConsentRecord};
    use base64::Engine as _;
    use serde_json::json;
    use std::time::{Duration, Instant};

    /// A page without any consent manager: a shop's header, menu, 60 product cards and footer,
    /// about 1,500 elements; with `frames`, that many frames of the same kind (`srcdoc`).
    fn plain_page(frames: usize) -> String {
        let cards: String = (0..60)
            .map(|i| format!("<article class=\"card product-{i}\"><img alt=\"\" width=\"80\" height=\"80\"><h3>Product {i}</h3><p class=\"price\"><span>€</span><b>{i}.99</b></p><ul class=\"tags\"><li>new</li><li>sale</li><li>eco</li></ul><button type=\"button\" class=\"add\">Add to basket</button><a href=\"/p/{i}\">Details</a><div class=\"rating\"><i></i><i></i><i></i><i></i><i></i></div></article>"))
            .collect();
        let menu: String = (0..40)
            .map(|i| format!("<li><a href=\"/c/{i}\">Category {i}</a></li>"))
            .collect();
        let inner = if frames > 0 {
            plain_page(0).replace('&', "&amp;").replace('"', "&quot;")
        } else {
            String::new()
        };
        let iframes: String = (0..frames)
            .map(|_| format!("<iframe srcdoc=\"{inner}\" width=\"300\" height=\"150\"></iframe>"))
            .collect();
        format!(
            "<!doctype html><html><head><title>Shop</title><link rel=\"icon\" href=\"data:,\"></head><body><header><nav><ul>{menu}</ul></nav></header><main>{cards}{iframes}</main><footer><p>Shop Ltd</p></footer></body></html>"
        )
    }

    /// The time of one detection look (`AutoRun::detect` over every rule in every document the
    /// rules run in), on a plain page and on one with six frames, for the hand-written rules
    /// alone and for all the embedded rules: figures printed (docs/cmp-rules.md), nothing
    /// asserted on time. Run: `cargo test --lib detection_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "launches Chromium; prints the cost of a detection look"]
    fn detection_cost() {
        // Served as data: URLs (the consent layer does not depend on the site server's).
        let url = |html: String| {
            format!(
                "data:text/html;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(html)
            )
        };
        let session = BrowserSession::start(&BrowserOptions::default()).unwrap();
        let all = CmpRules::embedded().unwrap();
        let hand = all.subset(|c| c.file == "catalog/cmps.toml");
        let top_only = all.subset(|c| !c.run.frame);
        let t = Duration::from_secs(10);
        let clock = PageClock::real();
        for (page_name, html) in [("plain", plain_page(0)), ("six frames", plain_page(6))] {
            let page = session.new_page(t).unwrap();
            page.call("Page.navigate", json!({ "url": url(html) }), t)
                .unwrap();
            if !poll_until(Instant::now() + 3 * t, || {
                page.evaluate("document.readyState", t)
                    .is_ok_and(|v| v == "complete")
            }) {
                println!("{page_name}: not loaded within {:?}, not measured", 3 * t);
                session.close_page(&page);
                continue;
            }
            // Before: the requests one look made before conditions and the import, for the 23
            // hand-written rules: their globals, then one locate expression in the top frame.
            {
                let mut worlds = Worlds::new(&page, &[], t);
                let mut lookup = Lookup {
                    frame: "",
                    asks: Vec::new(),
                    cookie: false,
                };
                let mut globals = Vec::new();
                for c in hand.cmps() {
                    collect(&c.detect, &mut lookup, &mut globals);
                }
                let chains: Vec<&[String]> = lookup.asks.iter().map(|(c, _)| *c).collect();
                let top = worlds.top().to_string();
                let mut times: Vec<f64> = (0..105)
                    .map(|_| {
                        let t0 = Instant::now();
                        read_globals(&page, &globals, t);
                        let keys: Vec<String> = chains.iter().map(|_| worlds.key()).collect();
                        worlds
                            .run(
                                &top,
                                json!({ "op": "locate", "chains": chains, "keys": keys, "mode": "present" }),
                            )
                            .unwrap();
                        t0.elapsed().as_secs_f64() * 1000.0
                    })
                    .skip(5)
                    .collect();
                times.sort_by(f64::total_cmp);
                println!(
                    "{page_name:12} {:13} {:3} rules: one look {:.2} ms median, {:.2} ms p90",
                    "before",
                    hand.cmps().len(),
                    times[times.len() / 2],
                    times[times.len() * 9 / 10]
                );
                worlds.release();
            }
            for (label, rules) in [
                ("hand-written", &hand),
                ("no frame rule", &top_only),
                ("all embedded", &all),
            ] {
                let words = crate::catalog::words::BannerWords::embedded().unwrap();
                let mut run = AutoRun {
                    worlds: Worlds::new(&page, &[], t),
                    rules,
                    vocab: words.prepared(),
                    reject: false,
                    step_timeout: t,
                    deadline: Instant::now() + t,
                    grace: Duration::ZERO,
                    clock: &clock,
                    record: ConsentRecord::default(),
                    optional_clicked: false,
                };
                for _ in 0..5 {
                    assert!(run.detect().is_empty());
                }
                let mut times: Vec<f64> = (0..100)
                    .map(|_| {
                        let t0 = Instant::now();
                        run.detect();
                        t0.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect();
                times.sort_by(f64::total_cmp);
                println!(
                    "{page_name:12} {label:13} {:3} rules: one look {:.2} ms median, {:.2} ms p90",
                    rules.cmps().len(),
                    times[times.len() / 2],
                    times[times.len() * 9 / 10]
                );
                run.worlds.release();
            }
            // The page's own share: the locate request of every rule's detect, timed inside the
            // page (the mean of 30 looks), for the hand-written rules and for all.
            let mut timed = Vec::new();
            for rules in [&hand, &all] {
                let mut lookup = Lookup {
                    frame: "",
                    asks: Vec::new(),
                    cookie: false,
                };
                let mut globals = Vec::new();
                for c in rules.cmps().iter().filter(|c| c.run.main) {
                    collect(&c.detect, &mut lookup, &mut globals);
                }
                let chains: Vec<&[String]> = lookup.asks.iter().map(|(c, _)| *c).collect();
                let modes: Vec<&str> = vec!["present"; chains.len()];
                let request =
                    json!({ "op": "locate", "chains": chains, "keys": modes, "modes": modes });
                // Looks after a mutation (the page changed), and looks at a page that did not;
                // each a task of its own, as the engine's are (the mutations are seen between).
                page.evaluate(&format!("window.__locate = {};", DOM_JS), t)
                    .unwrap();
                let mut ms = [0.0f64; 2];
                for (i, touch) in [true, false].into_iter().enumerate() {
                    for n in 0..30 {
                        if touch {
                            page.evaluate(&format!("document.body.dataset.look = {n}"), t)
                                .unwrap();
                        }
                        let one = format!(
                            "(() => {{ const t0 = performance.now(); window.__locate({request}); return performance.now() - t0; }})()"
                        );
                        ms[i] +=
                            page.evaluate(&one, t).unwrap().as_f64().unwrap_or_default() / 30.0;
                    }
                }
                page.evaluate("delete window.__chatcookieConsent", t)
                    .unwrap();
                timed.push(format!(
                    "{} chains {:.2} ms after a change, {:.2} ms unchanged ({} bytes of request)",
                    chains.len(),
                    ms[0],
                    ms[1],
                    request.to_string().len()
                ));
            }
            println!("{page_name:12} in the page: {}", timed.join("; "));
            session.close_page(&page);
        }
    }
}
