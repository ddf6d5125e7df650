//! Unit tests of format detection and of every capture format.

use super::*;
use std::fmt::Write as _;
use std::time::Instant;

fn parse(input: &str) -> Capture {
    parse_capture(input.as_bytes()).expect("input should parse")
}

fn names(capture: &Capture) -> Vec<&str> {
    capture.keys.iter().map(|key| key.name.as_str()).collect()
}

fn key<'a>(capture: &'a Capture, name: &str) -> &'a CapturedKey {
    capture
        .keys
        .iter()
        .find(|key| key.name == name)
        .unwrap_or_else(|| panic!("no key {name:?} in {:?}", capture.keys))
}

#[test]
fn cookie_header_with_prefix() {
    let capture = parse("Cookie: intercom-id-abc=1; _hjSessionUser_1=x=y;  lone ; ;drift_aid=2");
    assert_eq!(capture.format, CaptureFormat::CookieHeader);
    assert_eq!(
        names(&capture),
        ["intercom-id-abc", "_hjSessionUser_1", "lone", "drift_aid"]
    );
    let first = &capture.keys[0];
    assert_eq!(first.storage, Some(StorageKind::Cookie));
    assert_eq!(first.domain, None);
    assert_eq!(first.value.as_deref(), Some("1"));
    assert_eq!(first.origin, "line 1");
    // Only the first `=` separates name and value.
    assert_eq!(
        key(&capture, "_hjSessionUser_1").value.as_deref(),
        Some("x=y")
    );
    assert_eq!(key(&capture, "lone").value, None);
    assert!(capture.evidence_urls.is_empty());
}

#[test]
fn cookie_prefix_in_any_case() {
    for input in [
        "COOKIE: a=1",
        "cookie:a=1",
        "CoOkIe:\ta=1; b=2",
        "Cookie: a",
    ] {
        let capture = parse(input);
        assert_eq!(capture.format, CaptureFormat::CookieHeader, "{input:?}");
        assert_eq!(capture.keys[0].name, "a", "{input:?}");
    }
}

#[test]
fn single_pair_is_a_cookie_header() {
    let capture = parse("a=1\n");
    assert_eq!(capture.format, CaptureFormat::CookieHeader);
    assert_eq!(names(&capture), ["a"]);
    assert_eq!(capture.keys[0].value.as_deref(), Some("1"));
}

#[test]
fn several_cookie_lines_with_bom_and_crlf() {
    let input =
        "\u{feff}\r\n# copied from DevTools\r\nCookie: a=1; b=2\r\ncookie: c=3; a=9\r\n\r\n";
    let capture = parse(input);
    assert_eq!(capture.format, CaptureFormat::CookieHeader);
    // `a` repeats with the same storage and domain, so only its first occurrence is kept.
    assert_eq!(names(&capture), ["a", "b", "c"]);
    assert_eq!(key(&capture, "a").value.as_deref(), Some("1"));
    assert_eq!(key(&capture, "c").origin, "line 4");
    assert!(capture.keys.iter().all(|key| !key.name.contains('\r')));
}

#[test]
fn header_without_prefix_on_several_lines() {
    let capture = parse("a=1; b=2\nc=3\n");
    assert_eq!(capture.format, CaptureFormat::CookieHeader);
    assert_eq!(names(&capture), ["a", "b", "c"]);
}

#[test]
fn set_cookie_lines_keep_domain_and_drop_attributes() {
    let input = "Set-Cookie: __hs_opt=1; Path=/; Domain=.HubSpot.com; Secure\n\
                 set-cookie: crisp-client%2Fsession=abc; Max-Age=oops\n\
                 Set-Cookie: no-equals-sign; Path=/\n";
    let capture = parse(input);
    assert_eq!(capture.format, CaptureFormat::CookieHeader);
    assert_eq!(names(&capture), ["__hs_opt", "crisp-client%2Fsession"]);
    assert_eq!(capture.keys[0].domain.as_deref(), Some("hubspot.com"));
    assert_eq!(capture.keys[0].storage, Some(StorageKind::Cookie));
    assert_eq!(capture.keys[1].domain, None);
    assert_eq!(capture.keys[1].origin, "line 2");
}

#[test]
fn name_list_with_comments_and_blank_lines() {
    let input = "# keys seen on example.com\r\n\r\n  intercom-session-abc  \r\n\
                 #ignored\r\nhubspotutk\r\n\tZD-suid\r\nhubspotutk\r\n";
    let capture = parse(input);
    assert_eq!(capture.format, CaptureFormat::NameList);
    assert_eq!(
        names(&capture),
        ["intercom-session-abc", "hubspotutk", "ZD-suid"]
    );
    let first = &capture.keys[0];
    assert_eq!(first.storage, None);
    assert_eq!(first.domain, None);
    assert_eq!(first.value, None);
    assert_eq!(first.origin, "line 3");
    assert_eq!(capture.keys[2].origin, "line 6");
}

#[test]
fn single_name_is_a_name_list() {
    let capture = parse("intercom-id\n");
    assert_eq!(capture.format, CaptureFormat::NameList);
    assert_eq!(names(&capture), ["intercom-id"]);
}

#[test]
fn comment_lines_do_not_steer_detection() {
    // A comment holding `=` and `;` must not turn a name list into a header.
    let capture = parse("# exported: a=1; b=2\nfoo\nbar\n");
    assert_eq!(capture.format, CaptureFormat::NameList);
    assert_eq!(names(&capture), ["foo", "bar"]);
}

#[test]
fn json_array_of_strings() {
    let capture = parse(r#"  ["intercom-id-x", " drift_aid ", "", "intercom-id-x"]"#);
    assert_eq!(capture.format, CaptureFormat::JsonArray);
    assert_eq!(names(&capture), ["intercom-id-x", "drift_aid"]);
    assert_eq!(capture.keys[1].origin, "item 2");
    assert_eq!(capture.keys[1].storage, None);
}

#[test]
fn json_array_of_objects_with_storage() {
    let input = r#"[
        {"name": "intercom-session-x", "storage": "cookie", "domain": ".Example.com", "value": "v"},
        {"name": "Drift:hostname", "storage": "localStorage"},
        {"name": "zE_oauth", "storage": "SESSION"},
        {"name": "plain", "storage": null, "extra": [1, 2]},
        {"name": "intercom-session-x", "storage": "Cookie", "domain": "example.com"},
        "bare"
    ]"#;
    let capture = parse(input);
    assert_eq!(capture.format, CaptureFormat::JsonArray);
    assert_eq!(
        names(&capture),
        [
            "intercom-session-x",
            "Drift:hostname",
            "zE_oauth",
            "plain",
            "bare"
        ]
    );
    let first = &capture.keys[0];
    assert_eq!(first.storage, Some(StorageKind::Cookie));
    assert_eq!(first.domain.as_deref(), Some("example.com"));
    assert_eq!(first.value.as_deref(), Some("v"));
    assert_eq!(first.origin, "item 1");
    assert_eq!(capture.keys[1].storage, Some(StorageKind::LocalStorage));
    assert_eq!(capture.keys[2].storage, Some(StorageKind::SessionStorage));
    assert_eq!(capture.keys[3].storage, None);
    assert_eq!(capture.keys[4].origin, "item 6");
}

#[test]
fn json_array_unknown_storage_names_the_item() {
    let err =
        parse_capture(br#"[{"name": "a"}, {"name": "b", "storage": "indexedDB"}]"#).unwrap_err();
    let CaptureError::JsonShape { message, path, .. } = &err else {
        panic!("expected JsonShape, got {err:?}");
    };
    assert_eq!(path, "[1]");
    assert!(message.contains("item 2"), "{message}");
    assert!(message.contains("indexedDB"), "{message}");
}

#[test]
fn json_array_of_wrong_items() {
    for (input, needle) in [
        (r#"[{"value": "x"}]"#, "item 1 has no string \"name\""),
        (r#"["a", {"name": 5}]"#, "item 2 has no string \"name\""),
        (r#"["a", "b", 3]"#, "item 3 is a number"),
        (r#"[["a"]]"#, "item 1 is an array"),
        (
            r#"[{"name": "a", "storage": 1}]"#,
            "\"storage\" that is a number",
        ),
        (
            r#"[{"name": "a", "domain": {}}]"#,
            "\"domain\" that is an object",
        ),
    ] {
        match parse_capture(input.as_bytes()) {
            Err(CaptureError::JsonShape {
                message, line: 1, ..
            }) => {
                assert!(message.contains(needle), "{input}: {message}")
            }
            other => panic!("{input}: expected JsonShape, got {other:?}"),
        }
    }
}

fn sample_har() -> String {
    serde_json::json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [],
            "entries": [
                {
                    "_initiator": {"type": "other"},
                    "request": {
                        "method": "GET",
                        "url": "https://User:pw@WWW.Example.com:8443/index.html?q=1",
                        "headers": [{"name": "Cookie", "value": "ignored=1"}],
                        "cookies": [
                            {"name": "intercom-id-abc", "value": "1"},
                            {"name": "_ga", "value": "2", "domain": ".example.com"}
                        ]
                    },
                    "response": {
                        "status": 200,
                        "cookies": [
                            {"name": "intercom-session-abc", "value": "s", "domain": ".example.com"},
                            {"name": "fresh", "value": "f"}
                        ],
                        "headers": [
                            {"name": "content-type", "value": "text/html"},
                            {
                                "name": "set-cookie",
                                "value": "intercom-session-abc=s; Domain=.Example.com; Path=/\nfresh=f; Path=/\nonly-header=h; Domain=widget.intercom.io"
                            },
                            {"name": "SET-COOKIE", "value": "second=2; Secure"}
                        ],
                        "content": {"size": 5, "mimeType": "text/html", "text": "<html>"}
                    },
                    "timings": {"send": 1, "wait": 2, "receive": 3}
                },
                {
                    "request": {
                        "url": "https://widget.intercom.io/widget/abc",
                        "cookies": [{"name": "intercom-id-abc", "value": "1"}]
                    },
                    "response": {"cookies": [], "headers": []}
                },
                {
                    "request": {
                        "url": "https://www.example.com/index.html?q=1",
                        "cookies": [{"name": "intercom-id-abc", "value": "other"}]
                    },
                    "response": {"cookies": null, "headers": null}
                },
                {
                    "request": {"url": "https://js.driftt.com/include/x.js", "cookies": null},
                    "response": null
                },
                {
                    "request": {"url": 42, "cookies": [{"name": null}, {"name": 7, "value": "x"}]},
                    "response": {"cookies": [{"name": "odd", "value": 5, "domain": false}]}
                },
                {}
            ]
        }
    })
    .to_string()
}

#[test]
fn har_request_response_and_set_cookie() {
    let capture = parse(&sample_har());
    assert_eq!(capture.format, CaptureFormat::Har);
    let found: Vec<(&str, Option<&str>, &str)> = capture
        .keys
        .iter()
        .map(|key| {
            (
                key.name.as_str(),
                key.domain.as_deref(),
                key.origin.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "intercom-id-abc",
                Some("www.example.com"),
                "HAR entry 1 request cookie"
            ),
            // A request cookie takes the request's host even if the HAR names a domain.
            ("_ga", Some("www.example.com"), "HAR entry 1 request cookie"),
            (
                "intercom-session-abc",
                Some("example.com"),
                "HAR entry 1 response cookie"
            ),
            (
                "fresh",
                Some("www.example.com"),
                "HAR entry 1 response cookie"
            ),
            (
                "only-header",
                Some("widget.intercom.io"),
                "HAR entry 1 Set-Cookie"
            ),
            ("second", Some("www.example.com"), "HAR entry 1 Set-Cookie"),
            (
                "intercom-id-abc",
                Some("widget.intercom.io"),
                "HAR entry 2 request cookie"
            ),
            ("odd", None, "HAR entry 5 response cookie"),
        ]
    );
    assert!(
        capture
            .keys
            .iter()
            .all(|key| key.storage == Some(StorageKind::Cookie))
    );
    assert_eq!(capture.keys[0].value.as_deref(), Some("1"));
    assert_eq!(key(&capture, "second").value.as_deref(), Some("2"));
    assert_eq!(key(&capture, "odd").value, None);
    assert_eq!(
        capture.evidence_urls,
        [
            "https://User:pw@WWW.Example.com:8443/index.html?q=1",
            "https://widget.intercom.io/widget/abc",
            "https://www.example.com/index.html?q=1",
            "https://js.driftt.com/include/x.js",
        ]
    );
}

#[test]
fn har_evidence_urls_are_deduplicated() {
    let har = r#"{"log": {"entries": [
        {"request": {"url": "https://a.example/x.js", "cookies": [{"name": "k", "value": "1"}]}},
        {"request": {"url": " https://a.example/x.js "}},
        {"request": {"url": ""}},
        {"request": {"url": "https://b.example/"}}
    ]}}"#;
    let capture = parse(har);
    assert_eq!(
        capture.evidence_urls,
        ["https://a.example/x.js", "https://b.example/"]
    );
    assert_eq!(capture.keys.len(), 1);
}

#[test]
fn url_domains() {
    for (url, host) in [
        ("https://Example.COM/a", Some("example.com")),
        (
            "http://user:pass@host.example:8080/p?q#f",
            Some("host.example"),
        ),
        ("https://host.example?x=@y", Some("host.example")),
        ("https://[::1]:8443/", Some("[::1]")),
        ("https://[::1/", None),
        ("wss://chat.example", Some("chat.example")),
        ("file:///tmp/x.html", None),
        ("no scheme", None),
        ("", None),
    ] {
        assert_eq!(domain_of_url(url).as_deref(), host, "{url}");
    }
}

#[test]
fn empty_and_whitespace_only() {
    for input in [
        &b""[..],
        b" ",
        b"\n\r\n\t  ",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF  \n",
    ] {
        assert!(
            matches!(parse_capture(input), Err(CaptureError::Empty)),
            "{input:?}"
        );
    }
}

#[test]
fn nothing_but_comments_has_no_keys() {
    for input in [
        "# only a comment\n#another\n",
        "[]",
        r#"{"log": {"entries": []}}"#,
        " ; = ; ",
    ] {
        assert!(
            matches!(parse_capture(input.as_bytes()), Err(CaptureError::NoKeys)),
            "{input:?}"
        );
    }
}

#[test]
fn har_with_requests_but_no_cookies_has_no_keys() {
    let har = r#"{"log": {"entries": [{"request": {"url": "https://x.example/"}}]}}"#;
    assert!(matches!(
        parse_capture(har.as_bytes()),
        Err(CaptureError::NoKeys)
    ));
}

#[test]
fn chatcookies_own_har_gives_the_keys_each_page_stored() {
    let har = r#"{"log": {"pages": [
        {"id": "load", "title": "t", "_storage": [
            {"name": "twk_uuid_5f2b", "storage": "cookie", "domain": ".shop.test"},
            {"name": "PreviousNav", "storage": "sessionStorage", "domain": "www.shop.test"}]},
        {"id": "widget", "pageTimings": {}},
        {"id": 7, "_storage": [{"name": null}, {"name": "x", "storage": "indexedDB"}]}],
      "entries": []}}"#;
    let c = parse(har);
    assert_eq!(names(&c), ["twk_uuid_5f2b", "PreviousNav", "x"]);
    assert_eq!(c.keys[0].storage, Some(StorageKind::Cookie));
    assert_eq!(c.keys[0].domain.as_deref(), Some("shop.test"));
    assert_eq!(c.keys[1].storage, Some(StorageKind::SessionStorage));
    assert_eq!(c.keys[0].origin, "HAR page load stored key");
    // An unknown storage kind is kept as a name whose storage the input does not say.
    assert_eq!(c.keys[2].storage, None);
    // A malformed `_storage` is an error that says where.
    let bad = r#"{"log": {"pages": [{"_storage": ["junk"]}], "entries": []}}"#;
    let err = parse_capture(bad.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("log.pages[0]._storage[0]"), "{err}");
}

#[test]
fn binary_garbage_is_not_text() {
    // Deterministic "random" bytes: valid ASCII up to a NUL at offset 10.
    let mut bytes = b"PK\x03\x04abcdef".to_vec();
    bytes.extend([0u8, 0x13, 0x37, 0xff, 0xfe]);
    match parse_capture(&bytes) {
        Err(CaptureError::NotText { offset }) => assert_eq!(offset, 10),
        other => panic!("expected NotText, got {other:?}"),
    }
    let err = parse_capture(&bytes).unwrap_err();
    assert!(err.to_string().contains("offset 10"), "{err}");
}

#[test]
fn invalid_utf8_reports_the_offset() {
    match parse_capture(b"a=1; b=\xC3\x28") {
        Err(CaptureError::NotText { offset }) => assert_eq!(offset, 7),
        other => panic!("expected NotText, got {other:?}"),
    }
    // Offsets count the skipped BOM, and the earlier of NUL and a bad byte wins.
    match parse_capture(b"\xEF\xBB\xBFab\xFFc\0") {
        Err(CaptureError::NotText { offset }) => assert_eq!(offset, 5),
        other => panic!("expected NotText, got {other:?}"),
    }
    match parse_capture(b"ab\0c\xFF") {
        Err(CaptureError::NotText { offset }) => assert_eq!(offset, 2),
        other => panic!("expected NotText, got {other:?}"),
    }
    // A UTF-16 file (as PowerShell writes by default) is not UTF-8 text.
    assert!(matches!(
        parse_capture(b"\xFF\xFEa\0=\x001\0"),
        Err(CaptureError::NotText { offset: 0 })
    ));
}

#[test]
fn malformed_json_reports_line_and_column() {
    let input = "[\n  \"a\",\n  \"b\"\n  \"c\"\n]";
    match parse_capture(input.as_bytes()) {
        Err(CaptureError::Json {
            message,
            line,
            column,
        }) => {
            assert_eq!((line, column), (4, 3));
            assert_eq!(message, "expected `,` or `]`");
        }
        other => panic!("expected Json, got {other:?}"),
    }
    let err = parse_capture(b"\xEF\xBB\xBF{\"log\": {\"entries\": [\n}").unwrap_err();
    assert!(
        matches!(
            err,
            CaptureError::Json {
                line: 2,
                column: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("not valid JSON at line 2, column 1: "),
        "{err}"
    );
    let err = parse_capture(b"{\"log\": ").unwrap_err();
    assert!(matches!(err, CaptureError::Json { line: 1, .. }), "{err:?}");
}

#[test]
fn json_that_is_neither_har_nor_array() {
    // Only `{` and `[` start JSON: `42` or `"text"` would be a one-name list.
    for input in [r#"{"cookie": 1}"#, "{}", r#"{"version": "1.2"}"#] {
        assert!(
            matches!(
                parse_capture(input.as_bytes()),
                Err(CaptureError::UnknownJson(_))
            ),
            "{input}"
        );
    }
}

#[test]
fn wrong_containers_name_the_field_path() {
    for (input, format, path) in [
        (
            r#"{"cookies": ["a"]}"#,
            CaptureFormat::StorageState,
            "cookies[0]",
        ),
        (r#"{"log": {"pages": []}}"#, CaptureFormat::Har, "log"),
        (
            r#"{"log": {"entries": {}}}"#,
            CaptureFormat::Har,
            "log.entries",
        ),
        (
            r#"{"log": {"entries": [1]}}"#,
            CaptureFormat::Har,
            "log.entries[0]",
        ),
        (
            r#"{"log": {"entries": [{}, {"response": {"headers": "x"}}]}}"#,
            CaptureFormat::Har,
            "log.entries[1].response.headers",
        ),
        (
            "{\"log\": {\"entries\": [\n  {\"request\": {\"cookies\": 7}}]}}",
            CaptureFormat::Har,
            "log.entries[0].request.cookies",
        ),
    ] {
        match parse_capture(input.as_bytes()) {
            Err(CaptureError::JsonShape {
                format: f,
                path: p,
                line,
                column,
                ..
            }) => {
                assert_eq!((f, p.as_str()), (format, path), "{input}");
                assert!(line >= 1 && column >= 1, "{input}");
            }
            other => panic!("{input}: expected JsonShape, got {other:?}"),
        }
    }
    let err = parse_capture(b"{\"log\": {\"entries\": [\n  {\"request\": {\"cookies\": 7}}]}}")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("not a har file as expected, at line 2, column ")
            && err.contains("log.entries[0].request.cookies: invalid type: integer `7`"),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    assert!(matches!(
        parse_capture(deep.as_bytes()),
        Err(CaptureError::Json { .. } | CaptureError::JsonShape { .. })
    ));
    // Skipped HAR fields are scanned without recursion, so depth there is harmless.
    let har = format!(
        r#"{{"log": {{"x": {}{}, "entries": [{{"request": {{"url": "https://a/", "cookies": [{{"name": "k"}}]}}}}]}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(names(&parse(&har)), ["k"]);
}

#[test]
fn names_keep_control_characters_and_html() {
    let capture =
        parse("<img src=x onerror=alert(1)>\n\u{1}ctrl\u{7}name\u{1b}[31m\n<script>x</script>\n");
    assert_eq!(capture.format, CaptureFormat::NameList);
    assert_eq!(
        names(&capture),
        [
            "<img src=x onerror=alert(1)>",
            "\u{1}ctrl\u{7}name\u{1b}[31m",
            "<script>x</script>"
        ]
    );

    let capture = parse("Cookie: <b>x</b>=1; a\u{7}b=2");
    assert_eq!(names(&capture), ["<b>x</b>", "a\u{7}b"]);

    let capture =
        parse(r#"["<img src=x>", "\u0001tab\tinside", {"name": "\u001b]0;title\u0007"}]"#);
    assert_eq!(
        names(&capture),
        ["<img src=x>", "\u{1}tab\tinside", "\u{1b}]0;title\u{7}"]
    );

    let har = r#"{"log": {"entries": [{"request": {"url": "https://a.example/",
        "cookies": [{"name": "<svg onload=alert(1)>", "value": "1"}]}}]}}"#;
    assert_eq!(names(&parse(har)), ["<svg onload=alert(1)>"]);
}

#[test]
fn capture_serializes_with_kebab_case_format() {
    let json = serde_json::to_value(parse("a=1")).unwrap();
    assert_eq!(json["format"], "cookie-header");
    assert_eq!(json["keys"][0]["storage"], "cookie");
    assert_eq!(json["keys"][0]["origin"], "line 1");
}

/// Small xorshift generator so the fuzz test is repeatable without a `rand` dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let seeds = [
        sample_har(),
        "Cookie: a=1; b=2\nSet-Cookie: c=3; Domain=.x.example; Expires=Wed, 21 Oct 2015 07:28:00 GMT\n".to_owned(),
        r#"[{"name": "a", "storage": "local", "domain": "x"}, "b"]"#.to_owned(),
        "# list\nfoo\nbar\n".to_owned(),
    ];
    let alphabet = b"{}[]\":,;=\n\r\t #\\u0aZ\x00\xff\xc3\xa9";
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..3_000 {
        let mut bytes = seeds[round % seeds.len()].clone().into_bytes();
        for _ in 0..=rng.next() % 8 {
            let at = (rng.next() as usize) % (bytes.len() + 1);
            let byte = alphabet[(rng.next() as usize) % alphabet.len()];
            match rng.next() % 3 {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => {
                    bytes.truncate(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        let _ = parse_capture(&bytes);
    }
    for _ in 0..1_000 {
        let len = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = parse_capture(&bytes);
    }
}

/// Builds a HAR of about `target_bytes` whose bulk is response bodies, plus the number of
/// distinct keys it holds.
fn big_har(target_bytes: usize) -> (String, usize) {
    const HOSTS: usize = 10;
    // Escapes and non-ASCII make serde_json do real work while skipping the bodies.
    let chunk = "<div class=\\\"intercom\\\">caf\\u00e9 \u{e9}t\u{e9}</div>\\n";
    let body = chunk.repeat(40_000 / chunk.len());
    let mut har = String::with_capacity(target_bytes + 200_000);
    har.push_str(r#"{"log": {"version": "1.2", "creator": {"name": "test"}, "entries": ["#);
    let mut entries = 0;
    while har.len() < target_bytes {
        let i = entries;
        let host = format!("host{}.example.com", i % HOSTS);
        if i > 0 {
            har.push(',');
        }
        write!(
            har,
            r#"{{"startedDateTime": "2024-01-01T00:00:00Z", "time": 12.5,
            "request": {{"method": "GET", "url": "https://{host}/page/{i}",
              "headers": [{{"name": "Cookie", "value": "req_{i}=1; shared=2"}}],
              "cookies": [{{"name": "req_{i}", "value": "1"}}, {{"name": "shared", "value": "2"}}],
              "postData": {{"mimeType": "text/plain", "text": "{body}"}}}},
            "response": {{"status": 200,
              "cookies": [{{"name": "resp_{i}", "value": "3", "domain": ".example.com"}}],
              "headers": [{{"name": "Content-Type", "value": "text/html"}},
                          {{"name": "Set-Cookie", "value": "resp_{i}=3; Domain=.example.com; Path=/\nsc_{i}=4; Path=/"}}],
              "content": {{"size": {len}, "mimeType": "text/html", "text": "{body}"}}}},
            "timings": {{"send": 1, "wait": 2, "receive": 3}}}}"#,
            len = body.len()
        )
        .unwrap();
        entries += 1;
    }
    har.push_str("]}}");
    // req_i, resp_i and sc_i are distinct per entry; `shared` once per host.
    (har, 3 * entries + HOSTS.min(entries))
}

#[test]
fn fifty_megabyte_har_parses() {
    let (har, expected_keys) = big_har(50 * 1024 * 1024);
    assert!(har.len() >= 50 * 1024 * 1024);
    let started = Instant::now();
    let capture = parse_capture(har.as_bytes()).expect("big HAR should parse");
    let elapsed = started.elapsed();
    eprintln!(
        "parsed {} MB HAR ({} keys) in {elapsed:?}",
        har.len() / (1024 * 1024),
        capture.keys.len()
    );
    assert_eq!(capture.format, CaptureFormat::Har);
    assert_eq!(capture.keys.len(), expected_keys);
    assert_eq!(capture.evidence_urls.len(), (expected_keys - 10) / 3);
}

#[test]
fn request_headers_block_is_raw_headers_and_keeps_only_cookies() {
    let input = "POST /api/chat HTTP/1.1\r\nHost: Shop.Example:8443\r\nContent-Type: application/json\r\n\
                 Cookie: twk_idm_key=1; _ga=2\r\nX-Custom: a=b; c=d\r\n\r\n{\"body\": \"Cookie: not=this\"}\r\n";
    let capture = parse(input);
    assert_eq!(capture.format, CaptureFormat::RawHeaders);
    assert_eq!(names(&capture), ["twk_idm_key", "_ga"]);
    assert_eq!(capture.keys[0].domain.as_deref(), Some("shop.example"));
    assert_eq!(capture.keys[0].origin, "line 4");
    assert_eq!(
        capture.evidence_urls,
        ["https://Shop.Example:8443/api/chat"]
    );
}

#[test]
fn header_lines_without_a_start_line_are_raw_headers() {
    let capture = parse("accept: */*\ncookie: a=1; b=2\nuser-agent: x\n");
    assert_eq!(capture.format, CaptureFormat::RawHeaders);
    assert_eq!(names(&capture), ["a", "b"]);
    // Names with a colon but no space after it stay a name list.
    let capture = parse("Drift:hostname\nDrift:session\n");
    assert_eq!(capture.format, CaptureFormat::NameList);
}

#[test]
fn cookies_txt_without_header_and_with_spaces() {
    let capture =
        parse(".a.example TRUE / FALSE 0 twk_idm_key v\n.a.example\tTRUE\t/\tFALSE\t0\tempty\n");
    assert_eq!(capture.format, CaptureFormat::CookiesTxt);
    assert_eq!(names(&capture), ["twk_idm_key", "empty"]);
    assert_eq!(capture.keys[1].value.as_deref(), Some(""));
    assert_eq!(capture.keys[0].domain.as_deref(), Some("a.example"));
}

#[test]
fn har_without_creator_or_pages_and_with_odd_types() {
    let har = "\u{feff}{\"log\": {\"comment\": 5, \"entries\": [{\"time\": \"slow\", \"_x\": [1],
        \"request\": {\"url\": \"https://a.example/\", \"headersSize\": \"big\",
        \"headers\": [{\"name\": \"Cookie\", \"value\": \"k=1\"}]}, \"comment\": null}]}}";
    let capture = parse(har);
    assert_eq!(capture.format, CaptureFormat::Har);
    assert_eq!(names(&capture), ["k"]);
    assert_eq!(capture.keys[0].origin, "HAR entry 1 Cookie header");
}

#[test]
fn storage_state_keys_and_domains() {
    let state = r#"{"cookies": null, "origins": [{"origin": "https://Shop.example:8443",
        "localStorage": [{"name": "a", "value": "1"}, {"name": 3}],
        "sessionStorage": [{"name": "s"}], "indexedDB": []}]}"#;
    let capture = parse(state);
    assert_eq!(capture.format, CaptureFormat::StorageState);
    assert_eq!(names(&capture), ["a", "s"]);
    assert_eq!(capture.keys[0].storage, Some(StorageKind::LocalStorage));
    assert_eq!(capture.keys[1].storage, Some(StorageKind::SessionStorage));
    assert_eq!(capture.keys[0].domain.as_deref(), Some("shop.example"));
}
