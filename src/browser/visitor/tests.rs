//! The visitor's parsing, devices, user agent, storage state and tells.

use super::*;

#[test]
fn locales_are_checked_and_canonical() {
    assert_eq!(parse_locale("de-DE").unwrap(), "de-DE");
    assert_eq!(parse_locale("de_de").unwrap(), "de-DE");
    assert_eq!(parse_locale("zh-hant-tw").unwrap(), "zh-Hant-TW");
    assert_eq!(parse_locale("es-419").unwrap(), "es-419");
    for bad in ["", "german", "de-", "d", "de-DE-x", "12-DE", "de DE"] {
        assert!(parse_locale(bad).is_err(), "{bad}");
    }
    let e = parse_locale("german").unwrap_err();
    assert_eq!(e.kind(), crate::error::ErrorKind::Input);
    assert_eq!(
        e.to_string(),
        "`german` is not a language tag (BCP 47, e.g. de-DE, en, fr-CA)"
    );
    assert_eq!(accept_language("de-DE"), "de-DE,de");
    assert_eq!(accept_language("fr"), "fr");
}

#[test]
fn time_zones_geolocations_headers_and_proxies_are_checked() {
    assert!(parse_timezone("Europe/Berlin").is_ok());
    assert!(parse_timezone("UTC").is_ok());
    for bad in [
        "",
        "Europe/",
        "../etc/passwd",
        "Mars/Olympus Mons",
        "Europe/Nowhere",
    ] {
        assert!(parse_timezone(bad).is_err(), "{bad}");
    }
    let g = parse_geolocation("52.52,13.40").unwrap();
    assert_eq!((g.latitude, g.longitude, g.accuracy), (52.52, 13.40, 50.0));
    for bad in ["52.52", "91,0", "0,181", "a,b", "1,2,0", "1,2,3,4"] {
        assert!(parse_geolocation(bad).is_err(), "{bad}");
    }
    let h = parse_header("X-Audit:  yes ").unwrap();
    assert_eq!((h.name.as_str(), h.value.as_str()), ("X-Audit", "yes"));
    for bad in ["novalue", ": x", "Bad Name: x", "X: a\r\nInjected: 1"] {
        assert!(parse_header(bad).is_err(), "{bad}");
    }
    assert!(parse_proxy("http://127.0.0.1:8888").is_ok());
    assert!(parse_proxy("socks5://proxy.example:1080").is_ok());
    for bad in ["proxy:8080", "ftp://x:1", "http://user:pw@x:1", "http://"] {
        assert!(parse_proxy(bad).is_err(), "{bad}");
    }
}

#[test]
fn devices_are_named_and_mobile_is_a_pixel() {
    assert_eq!(Device::named("mobile").unwrap().name, "pixel-7");
    assert!(Device::named("mobile").unwrap().touch);
    assert!(!Device::default().mobile);
    let e = Device::named("nokia-3310").unwrap_err().to_string();
    assert!(e.contains("unknown device") && e.contains("desktop"), "{e}");
    for d in DEVICES {
        assert!(
            d.screen_width >= d.width && d.screen_height >= d.height,
            "{}",
            d.name
        );
    }
}

#[test]
fn the_user_agent_is_the_real_version_without_headless() {
    let d = Device::default();
    let ua = user_agent_for(&d, "HeadlessChrome/156.0.8078.73");
    assert!(
        ua.contains("Chrome/156.0.0.0") && !ua.contains("Headless"),
        "{ua}"
    );
    let m = user_agent_for(&Device::named("mobile").unwrap(), "Chrome/156.0.8078.73");
    assert!(m.contains("Android") && m.contains("Mobile"), "{m}");
    let calls = Visitor::default().calls("HeadlessChrome/156.0.8078.73");
    let ua = &calls[0].1;
    assert_eq!(ua["userAgentMetadata"]["brands"][0]["version"], "156");
    assert_eq!(ua["userAgentMetadata"]["fullVersion"], "156.0.8078.73");
}

#[test]
fn storage_states_are_read_and_errors_have_a_place() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("state.json");
    std::fs::write(
        &good,
        r#"{"cookies":[{"name":"sid","value":"1","domain":".shop.test","path":"/","expires":-1,"httpOnly":true,"secure":false,"sameSite":"Lax"}],
           "origins":[{"origin":"http://www.shop.test:8080","localStorage":[{"name":"returning","value":"yes"}]}]}"#,
    )
    .unwrap();
    let s = load_storage_state(&good).unwrap();
    assert_eq!(s.cookies[0].name, "sid");
    let v = Visitor {
        state: Some(s),
        ..Default::default()
    };
    let seed = v.seed_script().unwrap();
    assert!(seed.contains("http://www.shop.test:8080") && seed.contains("returning"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"cookies\": [\n  {\"name\": 1}]}").unwrap();
    let e = load_storage_state(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json:2:"), "{e}");
    let e = load_storage_state(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read"), "{e}");
}

#[test]
fn tells_name_what_gives_a_bot_away() {
    let bot = Seen {
        webdriver: Some(true),
        user_agent: "Mozilla/5.0 HeadlessChrome/156".into(),
        languages: vec!["en-US".into()],
        screen: [800, 600],
        window: [1280, 713],
        ..Default::default()
    };
    assert_eq!(bot.tells().len(), 3, "{:?}", bot.tells());
    let person = Seen {
        webdriver: Some(false),
        user_agent: "Mozilla/5.0 Chrome/156".into(),
        languages: vec!["en-US".into()],
        screen: [1920, 1080],
        window: [1280, 720],
        ..Default::default()
    };
    assert!(person.tells().is_empty());
}
