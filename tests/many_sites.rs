//! Many targets in one run, in the real Chromium: isolation between sites, a failing or hostile
//! site among healthy ones, a browser killed mid-run, Ctrl-C, sharding, streaming, --connect.

use crate::common::{self, bin, root, run_within, text, wait_within};
use chatcookie::browser::{BrowserOptions, BrowserSession};
use chatcookie::serve::{SiteFiles, SiteServer};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// Serves fixtures/many/revisit on 127.0.0.1 (no host mapping needed): the "healthy site".
fn revisit_server() -> SiteServer {
    SiteServer::start(
        SiteFiles::Disk(root().join("fixtures/many/revisit")),
        "127.0.0.1",
    )
    .unwrap()
}

/// The same page under `n` distinct URLs: `n` distinct sites to the tool.
fn revisit_urls(server: &SiteServer, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| format!("{}?site={i}", server.url()))
        .collect()
}

/// Fast settings for pages without a widget or a banner.
const QUICK: [&str; 6] = [
    "--consent",
    "none",
    "--widget-timeout",
    "300ms",
    "--step-timeout",
    "3s",
];

/// One JSON report per line.
fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn names(r: &serde_json::Value) -> Vec<String> {
    r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}:{}",
                o["storage"].as_str().unwrap(),
                o["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn url(r: &serde_json::Value) -> &str {
    r["provenance"]["url"].as_str().unwrap()
}

/// Each site's page opens in a browser context, and so a window, of its own. Chromium gives every
/// window the address bar's WebUI popups, each with a renderer, which headless never shows: at
/// `--jobs 4` they were 30% of Chromium's CPU time, paid once per site. The launch turns them off;
/// this fails if a Chromium renames what it turns off.
#[test]
fn a_sites_window_starts_no_browser_ui_renderer() {
    let session = BrowserSession::start(&BrowserOptions::default())
        .expect("Chromium must be installed for the integration tests (see README)");
    let timeout = Duration::from_secs(10);
    let pages: Vec<_> = (0..2).map(|_| session.new_page(timeout).unwrap()).collect();
    assert!(
        pages.iter().all(|p| p.context_id.is_some()),
        "a context per site"
    );
    // Browser UI is listed only when every target type is asked for. The popups come with the
    // window, before Target.createTarget answers (seen on Chromium 156).
    let all = session
        .cdp
        .call_raw(
            None,
            "Target.getTargets",
            serde_json::json!({ "filter": [{}] }),
            timeout,
        )
        .unwrap();
    let infos = all["targetInfos"].as_array().unwrap();
    let of_type = |t: &str| -> Vec<&str> {
        infos
            .iter()
            .filter(|i| i["type"] == t)
            .map(|i| i["url"].as_str().unwrap_or_default())
            .collect()
    };
    assert!(
        of_type("page").len() >= 2,
        "both pages are listed: {infos:?}"
    );
    assert_eq!(
        of_type("browser_ui"),
        Vec::<&str>::new(),
        "browser UI renderers"
    );
}

#[test]
fn nothing_leaks_from_one_site_to_the_next() {
    let server = revisit_server();
    // The control: a page visited twice in one scan does show `seen_before`.
    let mut cmd = bin();
    cmd.args(["scan", &format!("{}?control", server.url())])
        .args(QUICK)
        .args(["--format", "json"]);
    let o = run_within(cmd, Duration::from_secs(60));
    let r: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    assert!(
        names(&r).contains(&"cookie:seen_before".into()),
        "{:?}",
        names(&r)
    );

    for (jobs, cookies) in [("1", "block"), ("3", "block"), ("2", "allow")] {
        let mut cmd = bin();
        cmd.arg("scan")
            .args(revisit_urls(&server, 6))
            .args(QUICK)
            .args(["--jobs", jobs, "--third-party-cookies", cookies])
            .args(["--format", "jsonl"]);
        let o = run_within(cmd, Duration::from_secs(90));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let reports = jsonl(&o);
        assert_eq!(reports.len(), 6, "{}", text(&o));
        for r in &reports {
            let n = names(r);
            assert!(
                n.contains(&"cookie:visited".into()) && n.contains(&"localStorage:visited".into()),
                "jobs {jobs}, {cookies}: {}: {n:?}",
                url(r)
            );
            assert!(
                !n.iter().any(|k| k.ends_with(":seen_before")),
                "jobs {jobs}, {cookies}: state leaked into {}: {n:?}",
                url(r)
            );
        }
    }
}

#[test]
fn one_hostile_site_in_ten_leaves_the_other_nine_complete() {
    let server = revisit_server();
    let hostile = [
        "busy-loop",
        "alert-forever",
        "redirect-loop",
        "closes-itself",
        "nested-frames",
        "many-keys",
        "hostile-names",
        "no-index",
    ];
    let healthy = revisit_urls(&server, 9 * hostile.len());
    // Each hostile site among nine healthy ones, in one list (read with --urls).
    let mut list = String::from("# one hostile site in ten\n");
    let mut healthy_iter = healthy.iter();
    for h in hostile {
        for u in healthy_iter.by_ref().take(9) {
            list.push_str(&format!("{u}\n"));
        }
        list.push_str(&format!(
            "{}\n\n",
            root().join("fixtures/hostile").join(h).display()
        ));
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("urls.txt");
    std::fs::write(&file, list).unwrap();
    let mut cmd = bin();
    cmd.args(["scan", "--urls"])
        .arg(&file)
        .args(QUICK)
        .args(["--jobs", "4", "--format", "jsonl"])
        .env("TMPDIR", tmp.path());
    let t = Instant::now();
    let o = run_within(cmd, Duration::from_secs(300));
    eprintln!(
        "{} sites in {:?}",
        healthy.len() + hostile.len(),
        t.elapsed()
    );
    let reports = jsonl(&o);
    assert_eq!(reports.len(), healthy.len() + hostile.len(), "{}", text(&o));
    // Some hostile sites cannot be scanned to the end: the run says so with exit 3.
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("scans could not complete"), "{stderr}");
    for r in reports.iter().filter(|r| url(r).contains("?site=")) {
        assert!(r["aborted"].is_null(), "{}: {}", url(r), r["aborted"]);
        assert!(
            names(r).contains(&"cookie:visited".into()),
            "{}: {:?}",
            url(r),
            names(r)
        );
    }
    let outcome = |name: &str| {
        reports
            .iter()
            .find(|r| url(r).contains(&format!("www.{name}.test")))
            .unwrap_or_else(|| panic!("no report for {name}"))
    };
    for (gone, kind) in [("redirect-loop", "unreachable"), ("no-index", "http-error")] {
        assert_eq!(
            outcome(gone)["aborted"]["kind"],
            kind,
            "{gone} is reported as not complete, and why"
        );
    }
    // Big pages complete; how much of them a 3 s step holds depends on the machine's load.
    for done in [
        "many-keys",
        "hostile-names",
        "nested-frames",
        "closes-itself",
    ] {
        assert!(
            outcome(done)["aborted"].is_null(),
            "{done}: {}",
            outcome(done)["aborted"]
        );
    }
    assert!(names(outcome("closes-itself")).contains(&"cookie:before_close".into()));
    // No browser or profile outlives the run.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "urls.txt")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Starts a many-site scan writing one progress line per site; returns once the first site
/// finished, with the child and its stderr reader.
fn start_batch(
    urls: &[String],
    tmp: &Path,
    extra: &[&str],
) -> (Child, BufReader<std::process::ChildStderr>) {
    let mut child = bin()
        .arg("scan")
        .args(urls)
        .args(["--consent", "none", "--step-timeout", "5s"])
        .args(extra)
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 && !line.contains("[1/") {
        line.clear();
    }
    assert!(line.contains("[1/"), "no progress line: {line:?}");
    (child, err)
}

/// The launched browser: the process with --remote-debugging-port whose profile is in `dir`.
fn browser_in(dir: &Path) -> i32 {
    common::processes_using(dir)
        .into_iter()
        .find(|(_, c)| c.contains("--remote-debugging-port"))
        .expect("the browser runs with its profile in TMPDIR")
        .0
}

#[test]
fn a_browser_killed_mid_run_is_relaunched_and_every_site_completes() {
    let server = revisit_server();
    let urls = revisit_urls(&server, 8);
    let tmp = tempfile::tempdir().unwrap();
    // A 1 s widget wait keeps two scans in flight when the browser dies.
    let (mut child, mut err) = start_batch(
        &urls,
        tmp.path(),
        &["--jobs", "2", "--widget-timeout", "1s", "--format", "jsonl"],
    );
    // SAFETY: signalling the browser our child launched.
    unsafe { libc::kill(browser_in(tmp.path()), libc::SIGKILL) };
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let status = wait_within(&mut child, Duration::from_secs(60));
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    let reports: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 8, "{rest}");
    assert!(reports.iter().all(|r| r["aborted"].is_null()), "{rest}");
    let retried: Vec<&str> = reports
        .iter()
        .filter_map(|r| r["provenance"]["retried_after"].as_str())
        .collect();
    assert!(
        !retried.is_empty(),
        "the scans in flight were retried: {rest}"
    );
    assert!(
        retried.iter().all(|r| r.contains("browser was lost")),
        "{retried:?}"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "a browser profile was left behind"
    );
}

#[test]
fn ctrl_c_mid_run_leaves_no_browser_or_profile() {
    let server = revisit_server();
    let urls = revisit_urls(&server, 8);
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, _err) = start_batch(
        &urls,
        tmp.path(),
        &["--jobs", "2", "--widget-timeout", "1s", "--format", "jsonl"],
    );
    assert!(browser_in(tmp.path()) > 0);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_within(&mut child, Duration::from_secs(2));
    assert_eq!(status.code(), Some(130));
    // A killed browser may linger as a zombie until init reaps it: it runs no more, and its
    // command line is gone, so it is not listed here.
    assert!(
        common::processes_using(tmp.path()).is_empty(),
        "still running: {:?}",
        common::processes_using(tmp.path())
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn shards_split_the_list_and_streamed_lines_name_their_site() {
    let server = revisit_server();
    let urls = revisit_urls(&server, 5);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("urls.txt");
    // A duplicate is dropped before the split, so every shard sees the same list.
    std::fs::write(&file, format!("{}\n{}\n", urls.join("\n"), urls[0])).unwrap();
    let mut seen = Vec::new();
    for k in 1..=2 {
        let mut cmd = bin();
        cmd.args(["scan", "--urls"]).arg(&file).args(QUICK).args([
            "--shard",
            &format!("{k}/2"),
            "--format",
            "jsonl",
        ]);
        let o = run_within(cmd, Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("1 duplicate target(s) skipped"), "{stderr}");
        let got: Vec<String> = jsonl(&o).iter().map(|r| url(r).to_string()).collect();
        let mut want: Vec<String> = urls.iter().skip(k - 1).step_by(2).cloned().collect();
        let mut sorted = got.clone();
        sorted.sort();
        want.sort();
        assert_eq!(sorted, want, "shard {k}/2");
        seen.extend(got);
    }
    seen.sort();
    let mut all = urls.clone();
    all.sort();
    assert_eq!(seen, all, "the shards cover the list exactly once");
}

#[test]
fn an_unwritable_stream_file_goes_to_stdout_with_exit_2() {
    let server = revisit_server();
    let mut cmd = bin();
    cmd.arg("scan")
        .args(revisit_urls(&server, 2))
        .args(QUICK)
        .args([
            "--format",
            "jsonl",
            "--output",
            "/nonexistent-dir/report.jsonl",
        ]);
    let o = run_within(cmd, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(jsonl(&o).len(), 2, "both reports reach standard output");
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write the report to"));
}

#[test]
fn list_mistakes_are_usage_errors_with_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("urls.txt");
    std::fs::write(&file, "https://example.test/\n\nftp://example.test/\n").unwrap();
    let o = common::chatcookie(&["scan", "--urls", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("urls.txt:3"), "{}", text(&o));
    let o = common::chatcookie(&["scan"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("nothing to scan"), "{}", text(&o));
    let o = common::chatcookie(&["scan", "https://a.test/", "--shard", "3/2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn many_sites_in_a_separately_started_browser_over_connect() {
    let server = revisit_server();
    let mut chromium = common::ExternalChromium::start(&[]);
    let port = chromium.port.clone();
    let mut cmd = bin();
    cmd.arg("scan")
        .args(revisit_urls(&server, 4))
        .args(QUICK)
        .args([
            "--jobs",
            "2",
            "--connect",
            &format!("http://127.0.0.1:{port}"),
        ])
        .args(["--format", "jsonl"]);
    let o = run_within(cmd, Duration::from_secs(60));
    let still_running = chromium.is_running();
    drop(chromium);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let reports = jsonl(&o);
    assert_eq!(reports.len(), 4);
    for r in &reports {
        let n = names(r);
        assert!(n.contains(&"cookie:visited".into()), "{n:?}");
        assert!(
            !n.iter().any(|k| k.ends_with(":seen_before")),
            "leak: {n:?}"
        );
    }
    assert!(still_running, "the connected browser is left running");
}

#[test]
fn check_runs_a_policys_sites_in_one_browser_with_jobs_and_shards() {
    let server = revisit_server();
    let urls = revisit_urls(&server, 3);
    let tmp = tempfile::tempdir().unwrap();
    let policy = |declare_storage: bool| {
        let storage = if declare_storage {
            "[[declare]]\nname = \"visited\"\nstorage = \"localStorage\"\nearliest_step = \"load\"\npurpose = \"First visit.\"\n"
        } else {
            ""
        };
        let text = format!(
            "[scan]\nurls = [\"{}\", \"{}\", \"{}\", \"{}\"]\nconsent = \"none\"\n\
             widget_timeout = \"300ms\"\nstep_timeout = \"3s\"\n\n\
             [gate]\nfail_on = [\"undeclared\"]\n\n\
             [[declare]]\nname = \"visited\"\nstorage = \"cookie\"\nearliest_step = \"load\"\n\
             purpose = \"First visit.\"\n\n{storage}",
            urls[0], urls[1], urls[2], urls[0]
        );
        let path = tmp.path().join(format!("policy-{declare_storage}.toml"));
        std::fs::write(&path, text).unwrap();
        path
    };
    let check = |policy: &Path, extra: &[&str]| {
        let out = tmp.path().join("out.json");
        let mut cmd = bin();
        cmd.arg("check")
            .arg("--policy")
            .arg(policy)
            .args(["--format", "json", "--output"])
            .arg(&out)
            .args(extra);
        let o = run_within(cmd, Duration::from_secs(90));
        let written = std::fs::read_to_string(&out)
            .unwrap_or_else(|e| panic!("no report ({e}): {}", text(&o)));
        std::fs::remove_file(&out).unwrap();
        let json: serde_json::Value = serde_json::from_str(&written).unwrap();
        // One site is one report object; several are an array.
        let reports = match json {
            serde_json::Value::Array(a) => a,
            one => vec![one],
        };
        (o, reports)
    };

    // Every site declared: exit 0, each site once, a progress line per site.
    let (o, reports) = check(&policy(true), &["--jobs", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("1 duplicate target(s) skipped"), "{stderr}");
    assert!(stderr.contains("[3/3]"), "{stderr}");
    let got: Vec<&str> = reports.iter().map(url).collect();
    assert_eq!(got, urls.iter().map(String::as_str).collect::<Vec<_>>());
    for r in &reports {
        assert!(r["aborted"].is_null(), "{r}");
        let n = names(r);
        assert!(n.contains(&"cookie:visited".to_string()), "{n:?}");
        assert!(!n.iter().any(|k| k.ends_with("seen_before")), "{n:?}");
    }

    // The localStorage key undeclared: every site fails the gate.
    let (o, reports) = check(&policy(false), &["--jobs", "2"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    for r in &reports {
        let undeclared = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "undeclared" && f["gating"] == true)
            .count();
        assert_eq!(undeclared, 1, "{r}");
    }

    // A share of the policy's list, as one job of a CI matrix runs it.
    let (o, reports) = check(&policy(true), &["--shard", "2/2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        reports.iter().map(url).collect::<Vec<_>>(),
        [urls[1].as_str()]
    );
}
