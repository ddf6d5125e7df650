//! `chatcookie classify` on the captures people hold (fixtures/captures/), its errors, and `--format jsonl`.

use crate::common::{LIMIT, bin, finish_within, root, run_with_input, run_within, stderr};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/captures").join(name)
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = bin();
    cmd.args(args);
    match stdin {
        Some(bytes) => run_with_input(cmd, bytes, LIMIT),
        None => {
            cmd.stdin(Stdio::null());
            run_within(cmd, LIMIT)
        }
    }
}

/// `classify FILE --format json`, which must succeed.
fn json(name: &str) -> Value {
    let path = fixture(name);
    let o = run(
        &["classify", path.to_str().unwrap(), "--format", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn keys(doc: &Value) -> &Vec<Value> {
    doc["keys"].as_array().unwrap()
}

fn key<'a>(doc: &'a Value, name: &str) -> &'a Value {
    keys(doc)
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key {name} in {doc:#}"))
}

fn names(doc: &Value) -> Vec<&str> {
    keys(doc)
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect()
}

#[test]
fn curl_verbose_yields_only_cookie_lines() {
    let doc = json("curl-verbose.txt");
    assert_eq!(doc["format"], "raw-headers");
    assert_eq!(
        names(&doc),
        [
            "twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d",
            "TawkConnectionTime",
            "twk_idm_key",
            "_ga",
            "utm",
            "PHPSESSID",
            "__tawkuuid"
        ]
    );
    let twk = key(&doc, "twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d");
    assert_eq!(twk["attribution"]["vendor"], "tawkto");
    assert_eq!(twk["storage"], "cookie");
    assert_eq!(twk["domain"], "www.fietsenwinkel.example");
    // Set-Cookie keeps its Domain attribute; without one, the request's host.
    assert_eq!(key(&doc, "__tawkuuid")["domain"], "fietsenwinkel.example");
    assert_eq!(
        key(&doc, "PHPSESSID")["domain"],
        "www.fietsenwinkel.example"
    );
    // JivoChat is not evidenced here: its generic `utm` stays unknown.
    assert_eq!(key(&doc, "utm")["attribution"]["kind"], "unknown");
    assert!(!String::from_utf8_lossy(&json_raw("curl-verbose.txt")).contains("Zq8fA1"));
}

fn json_raw(name: &str) -> Vec<u8> {
    let path = fixture(name);
    run(
        &["classify", path.to_str().unwrap(), "--format", "json"],
        None,
    )
    .stdout
}

#[test]
fn pasted_request_headers_read_the_cookie_line_not_21_names() {
    let doc = json("devtools-request-headers.txt");
    assert_eq!(doc["format"], "raw-headers");
    assert_eq!(
        names(&doc),
        [
            "jv_enter_ts_EBSrukxUuA",
            "jv_visits_count_EBSrukxUuA",
            "jv_pages_count_EBSrukxUuA",
            "utm",
            "_gid"
        ]
    );
    // The distinctive jv_* keys evidence JivoChat, so its generic `utm` is JivoChat's.
    assert_eq!(key(&doc, "utm")["attribution"]["vendor"], "jivochat");
    assert_eq!(
        key(&doc, "jv_visits_count_EBSrukxUuA")["attribution"]["captures"]["visitorId"],
        "EBSrukxUuA"
    );
    assert!(
        keys(&doc)
            .iter()
            .all(|k| k["domain"] == "www.verzekering.example")
    );
}

#[test]
fn http2_request_headers_evidence_the_script_host() {
    let doc = json("devtools-h2-request-headers.txt");
    assert_eq!(doc["format"], "raw-headers");
    assert_eq!(names(&doc), ["tawkUUID", "twk_idm_key"]);
    assert_eq!(key(&doc, "tawkUUID")["domain"], "embed.tawk.to");
    let reasons = doc["evidence"]["tawkto"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r == "script https://embed.tawk.to/5f2b1c0e9a8d7c6b5a4f3e2d/1h8tq2v9r"),
        "{reasons:?}"
    );
}

#[test]
fn response_headers_keep_set_cookie_domains() {
    let doc = json("devtools-response-headers.txt");
    assert_eq!(doc["format"], "raw-headers");
    assert_eq!(
        names(&doc),
        [
            "_genesys.widgets.webchat.state.open",
            "_genesys.widgets.webchat.state.keys",
            "SERVERID"
        ]
    );
    let open = key(&doc, "_genesys.widgets.webchat.state.open");
    assert_eq!(open["domain"], "support.telco.example");
    assert_eq!(open["attribution"]["vendor"], "genesys");
    assert!(key(&doc, "SERVERID").get("domain").is_none());
}

#[test]
fn netscape_cookies_txt_with_http_only_lines() {
    let doc = json("cookies.txt");
    assert_eq!(doc["format"], "cookies-txt");
    assert_eq!(
        names(&doc),
        [
            "_genesys.widgets.webchat.state.session",
            "_genesys.widgets.webchat.state.keys",
            "twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d",
            "TawkConnectionTime",
            "session_id",
            "_ga"
        ]
    );
    let session = key(&doc, "_genesys.widgets.webchat.state.session");
    assert_eq!(session["domain"], "support.telco.example");
    assert_eq!(session["storage"], "cookie");
    assert_eq!(session["attribution"]["vendor"], "genesys");
    assert_eq!(key(&doc, "_ga")["domain"], "bakery.example");
    assert_eq!(
        key(&doc, "_ga")["attribution"]["platform"],
        "google-analytics"
    );
    assert_eq!(key(&doc, "session_id")["origin"], "line 9");
}

#[test]
fn cookies_txt_with_a_short_line_says_where() {
    let input =
        "# Netscape HTTP Cookie File\n.a.example\tTRUE\t/\tFALSE\t0\tok\t1\n.a.example\tTRUE\t/\n";
    let o = run(&["classify"], Some(input.as_bytes()));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("cookies-txt input, line 3, column 18: expected 7 tab-separated fields"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn playwright_storage_state() {
    let doc = json("storage-state.json");
    assert_eq!(doc["format"], "storage-state");
    let client = key(&doc, "5e8f2d1a9b7c6e4f3a2b1c0d.clientId");
    assert_eq!(client["storage"], "cookie");
    assert_eq!(client["domain"], "webwinkel.example");
    // The messenger's keys are the Smooch platform's: nothing of Web1on1's own (its loader, its
    // global) is in a storage state.
    assert_eq!(client["attribution"]["vendor"], "smooch");
    assert_eq!(client["attribution"]["confidence"], "certain");
    // Web1on1's generic widget_loaded beside the platform Web1on1 is built on: likely Web1on1's.
    let loaded = &key(&doc, "widget_loaded")["attribution"];
    assert_eq!(loaded["vendor"], "web1on1");
    assert_eq!(loaded["confidence"], "likely");
    assert!(
        loaded["evidence"]
            .as_str()
            .unwrap()
            .contains("which Web1on1 is built on"),
        "{loaded}"
    );
    let app_user = key(&doc, "5e8f2d1a9b7c6e4f3a2b1c0d.appUserId");
    assert_eq!(app_user["storage"], "localStorage");
    assert_eq!(app_user["domain"], "www.webwinkel.example");
    // The platform's own code keeps it in localStorage: it declares no other storage.
    assert_eq!(app_user["declared_storage"], serde_json::Value::Null);
    let genesys = key(&doc, "_genesys.widgets.webchat.metaData");
    assert_eq!(genesys["domain"], "support.telco.example");
    assert_eq!(
        genesys["origin"],
        "storageState origin 2 localStorage item 1"
    );
    assert_eq!(
        key(&doc, "twk_token_5f2b1c0e9a8d7c6b5a4f3e2d")["attribution"]["vendor"],
        "tawkto"
    );
}

#[test]
fn puppeteer_page_cookies_are_cookies() {
    let doc = json("puppeteer-cookies.json");
    assert_eq!(doc["format"], "json-array");
    assert_eq!(
        names(&doc),
        [
            "twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d",
            "TawkConnectionTime",
            "token"
        ]
    );
    assert!(
        keys(&doc).iter().all(|k| k["storage"] == "cookie"),
        "{doc:#}"
    );
    assert_eq!(key(&doc, "token")["domain"], "bakery.example");
    // tawk.to documents `token` in localStorage: the cookie of that name is marked as such.
    assert_eq!(key(&doc, "token")["declared_storage"], "localStorage");
}

#[test]
fn chrome_har_without_cookies_reports_vendor_evidence() {
    let path = fixture("chrome-no-cookies.har");
    let o = run(&["classify", path.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("input: har;"), "{out}");
    assert!(
        out.contains(
            "no keys in this capture; vendor evidence: tawk.to (script https://embed.tawk.to/"
        ),
        "{out}"
    );
    let doc = json("chrome-no-cookies.har");
    assert!(keys(&doc).is_empty());
    assert!(doc["evidence"]["tawkto"].is_array(), "{doc:#}");
    let o = run(
        &["classify", path.to_str().unwrap(), "--format", "jsonl"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains("vendor evidence: tawk.to"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn mitmproxy_har_with_stub_responses_and_cookie_headers() {
    let doc = json("mitmproxy.har");
    assert_eq!(doc["format"], "har");
    assert_eq!(
        names(&doc),
        [
            "jv_enter_ts_EBSrukxUuA",
            "jv_visits_count_EBSrukxUuA",
            "jv_pages_count_EBSrukxUuA",
            "jv_refer_EBSrukxUuA"
        ]
    );
    // Read from the request's Cookie header, its `cookies` being empty.
    let refer = key(&doc, "jv_refer_EBSrukxUuA");
    assert_eq!(refer["origin"], "HAR entry 3 Cookie header");
    assert_eq!(refer["domain"], "node-ams-a1.jivosite.com");
    assert_eq!(
        key(&doc, "jv_pages_count_EBSrukxUuA")["domain"],
        "verzekering.example"
    );
    assert!(
        doc["evidence"]["jivochat"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r
                .as_str()
                .unwrap()
                .starts_with("script https://code.jivosite.com/widget/"))
    );
}

#[test]
fn charles_insomnia_and_firefox_hars() {
    let doc = json("charles.har");
    assert_eq!(
        names(&doc),
        [
            "_genesys.widgets.webchat.state.keys",
            "visitor",
            "_genesys.widgets.webchat.state.open"
        ]
    );
    assert_eq!(key(&doc, "visitor")["attribution"]["kind"], "unknown");

    let doc = json("insomnia.har");
    assert_eq!(doc["format"], "har", "the BOM is skipped");
    assert_eq!(
        names(&doc),
        [
            "5e8f2d1a9b7c6e4f3a2b1c0d.sessionToken",
            "widget_uuid",
            "5e8f2d1a9b7c6e4f3a2b1c0d.clientId"
        ]
    );
    assert_eq!(key(&doc, "widget_uuid")["attribution"]["vendor"], "web1on1");
    assert_eq!(
        key(&doc, "5e8f2d1a9b7c6e4f3a2b1c0d.clientId")["domain"],
        "webwinkel.example"
    );
    assert!(!String::from_utf8_lossy(&json_raw("insomnia.har")).contains("s3cret"));

    let doc = json("firefox.har");
    assert_eq!(
        names(&doc),
        [
            "twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d",
            "TawkConnectionTime",
            "__tawkuuid"
        ]
    );
    assert_eq!(key(&doc, "__tawkuuid")["domain"], "bakery.example");
}

#[test]
fn truncated_har_says_line_and_column() {
    let path = fixture("truncated.har");
    let o = run(&["classify", path.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not valid JSON at line 38, column 19: EOF while parsing"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn wrong_type_in_a_har_names_the_field() {
    let har = "{\"log\": {\"entries\": [\n {\"request\": {\"url\": \"https://a.example/\"}},\n {\"request\": {\"cookies\": 5}}\n]}}";
    let o = run(&["classify"], Some(har.as_bytes()));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "at line 3, column 26: log.entries[1].request.cookies: invalid type: integer `5`"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_or_unreadable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.har");
    let o = run(&["classify", missing.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nope.har"), "{}", stderr(&o));
    // A directory opens but cannot be read.
    let o = run(&["classify", dir.path().to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
}

#[test]
fn table_states_the_format_and_summarises_evidence() {
    let mut input = String::new();
    for i in 0..1_000 {
        input.push_str(&format!("jv_visits_count_visitor{i:04}\n"));
    }
    input.push_str("utm\n");
    let o = run(&["classify"], Some(input.as_bytes()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("input: name-list;"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("evidence for jivochat:"))
        .unwrap();
    assert_eq!(
        line,
        "evidence for jivochat: key jv_visits_count_visitor0000, key jv_visits_count_visitor0001, key jv_visits_count_visitor0002, and 997 more"
    );
}

/// A mixed name list: distinctive keys of every vendor, generic names before and after the
/// evidence, Open Cookie Database names, unknown names and duplicates.
fn mixed_names() -> String {
    let mut s = String::from("utm\nwidget_loaded\ntoken\n_gid\n");
    for i in 0..200 {
        s.push_str(&format!(
            "twk_uuid_{i:024x}\njv_enter_ts_id{i}\n_genesys.widgets.webchat.state.open\nx{i}.clientId\nsession_{i}\nnothing_{i}\n_ga\nutm\n"
        ));
    }
    s.push_str("last_login\nPreviousNav\n");
    s
}

#[test]
fn jsonl_lines_are_the_json_keys() {
    let input = mixed_names();
    let o = run(&["classify", "--format", "json"], Some(input.as_bytes()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = run(&["classify", "--format", "jsonl"], Some(input.as_bytes()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut sorted = lines.clone();
    let line_no = |k: &Value| -> usize {
        k["origin"]
            .as_str()
            .unwrap()
            .strip_prefix("line ")
            .unwrap()
            .parse()
            .unwrap()
    };
    sorted.sort_by_key(line_no);
    assert_eq!(&sorted, keys(&doc));
    // Generic names wait for the whole input; here they are attributed from later evidence.
    assert_eq!(lines.last().unwrap()["name"], "PreviousNav");
    assert_eq!(key(&doc, "utm")["attribution"]["vendor"], "jivochat");
    assert_eq!(
        key(&doc, "widget_loaded")["attribution"]["vendor"],
        "web1on1"
    );
    assert_eq!(key(&doc, "token")["attribution"]["vendor"], "tawkto");
    assert_eq!(
        keys(&doc).len(),
        4 + 200 * 5 + 2 + 2,
        "duplicates are kept once"
    );
}

#[test]
fn jsonl_survives_a_closed_pipe() {
    let input = mixed_names().repeat(20);
    let mut child = bin()
        .args(["classify", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    // Read one line, then close the pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let o = finish_within(child, LIMIT);
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Web1on1's document lists eleven keys: eight `widget_*` of its own and three of the Smooch
/// messenger it runs on. Together they are Web1on1's footprint: all eleven are Web1on1's, with
/// the platform named; the messenger's keys alone stay Smooch's, and Web1on1's generic names
/// alone are nobody's.
#[test]
fn web1on1s_documented_footprint_is_web1on1s_and_smooch_alone_stays_smooch() {
    let id = "5f8a1c2b3d4e5f6a7b8c9d0e";
    let smooch: Vec<String> = ["appUserId", "clientId", "sessionToken"]
        .iter()
        .map(|k| format!("{id}.{k}"))
        .collect();
    let widget = [
        "widget_auto_opened",
        "widget_loaded",
        "widget_closed_by_customer",
        "widget_opened_by_customer",
        "widget_customer_clicked_header",
        "widget_eyecatcher_closed",
        "widget_uuid",
        "widget_show_first_message",
    ];
    let classify = |names: Vec<&str>| -> serde_json::Value {
        let input = names.join("\n") + "\n";
        let o = run(&["classify", "--format", "json"], Some(input.as_bytes()));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let all = classify(smooch.iter().map(String::as_str).chain(widget).collect());
    for k in all["keys"].as_array().unwrap() {
        assert_eq!(k["attribution"]["vendor"], "web1on1", "{k}");
    }
    assert_eq!(all["keys"].as_array().unwrap().len(), 11);
    assert_eq!(all["runs_on"]["web1on1"], "smooch", "{}", all["runs_on"]);
    let why = all["evidence"]["web1on1"][0].as_str().unwrap();
    assert!(
        why.starts_with("footprint ") && why.ends_with("beside smooch's keys"),
        "{why}"
    );
    assert_eq!(
        key(&all, "widget_uuid")["attribution"]["confidence"],
        "likely"
    );
    assert_eq!(
        key(&all, &format!("{id}.clientId"))["attribution"]["key"],
        "{integrationId}.clientId"
    );

    let plain = classify(smooch.iter().map(String::as_str).collect());
    for k in plain["keys"].as_array().unwrap() {
        assert_eq!(k["attribution"]["vendor"], "smooch", "{k}");
    }
    assert!(plain.get("runs_on").is_none());

    let alone = classify(widget.to_vec());
    for k in alone["keys"].as_array().unwrap() {
        assert_eq!(k["attribution"]["kind"], "unknown", "{k}");
    }
}
