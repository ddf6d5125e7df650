//! The policy's `[scan]` table: read with the place of every value, checked once into the scan's settings.

use crate::browser::visitor as v;
use crate::diagnostic::Diagnostic;
use crate::scan::{ConsentKeys, Settings, defaults};
use crate::vocab::{Clock, ConsentAction, Step, ThirdPartyCookies};
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// What the `[scan]` table says besides the scan's settings: what to scan, and where.
#[derive(Debug, Clone, Default)]
pub struct ScanTable {
    /// URLs, or directories relative to the policy file, to scan.
    pub urls: Vec<Spanned<String>>,
    pub host: Option<String>,
    /// Extra catalog files, relative to the policy file.
    pub catalog: Vec<String>,
    pub third_party_cookies: Option<ThirdPartyCookies>,
}

/// The `[scan]` table as written, each value with its place for diagnostics.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScan {
    #[serde(default)]
    urls: Vec<Spanned<String>>,
    host: Option<String>,
    consent: Option<ConsentAction>,
    consent_click: Option<Spanned<String>>,
    consent_js: Option<Spanned<String>>,
    reject_click: Option<Spanned<String>>,
    reject_js: Option<Spanned<String>>,
    /// Answer the banner by clicking the button with this visible text.
    consent_text: Option<Spanned<String>>,
    /// Extra consent-manager rule files, relative to the policy file.
    #[serde(default)]
    cmp_rules: Vec<String>,
    /// Extra banner-word files, relative to the policy file.
    #[serde(default)]
    banner_words: Vec<String>,
    open_click: Option<String>,
    third_party_cookies: Option<ThirdPartyCookies>,
    step_timeout: Option<Spanned<String>>,
    quiet: Option<Spanned<String>>,
    widget_timeout: Option<Spanned<String>>,
    /// "fast" or "real" (see `chatcookie scan --help`, `--clock`).
    clock: Option<Clock>,
    /// Extra catalog files, relative to the policy file.
    #[serde(default)]
    catalog: Vec<String>,
    /// The visitor (see `chatcookie scan --help`): language tag, IANA time zone, "LAT,LON",
    /// device name, User-Agent, proxy URL, "Name: value" headers, a storageState file
    /// (relative to the policy file).
    locale: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    geolocation: Option<Spanned<String>>,
    device: Option<Spanned<String>>,
    user_agent: Option<String>,
    proxy: Option<Spanned<String>>,
    #[serde(default)]
    headers: Vec<Spanned<String>>,
    storage_state: Option<Spanned<String>>,
    /// Steps to run (default: load, widget, consent, chat_open); `chat_message` sends `message`.
    steps: Option<Vec<Step>>,
    message: Option<String>,
    /// At most this many pages of the site (see `--pages`).
    pages: Option<Spanned<usize>>,
    /// Pages visited right after the start page (see `--page`).
    #[serde(default)]
    page: Vec<Spanned<String>>,
    /// See `--withdraw-click`.
    withdraw_click: Option<String>,
}

/// Where a value of the table is, for a diagnostic.
pub(super) type At<'a> = &'a dyn Fn(Range<usize>, String) -> Diagnostic;

/// Checks `value` with `parse`: its result, or a diagnostic at the value.
fn checked<T, E: std::fmt::Display>(
    value: &Spanned<String>,
    parse: impl Fn(&str) -> Result<T, E>,
    at: At<'_>,
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    parse(value.get_ref())
        .map_err(|e| errors.push(at(value.span(), e.to_string())))
        .ok()
}

impl RawScan {
    /// The table checked: what to scan, and the settings (paths resolved against `base`, the
    /// policy file's directory); every problem is a diagnostic at its value.
    pub(super) fn validate(
        self,
        base: &Path,
        at: At<'_>,
        errors: &mut Vec<Diagnostic>,
    ) -> (ScanTable, Settings) {
        let mut settings = Settings::default();
        let durations = [
            (
                &self.step_timeout,
                &mut settings.step_timeout,
                defaults::STEP_TIMEOUT,
            ),
            (&self.quiet, &mut settings.quiet, defaults::QUIET),
            (
                &self.widget_timeout,
                &mut settings.widget_timeout,
                defaults::WIDGET_TIMEOUT,
            ),
        ];
        for (text, slot, default) in durations {
            *slot = text
                .as_ref()
                .and_then(|d| checked(d, crate::vocab::parse_duration, at, errors))
                .unwrap_or(default);
        }
        settings.visitor = self.visitor(base, at, errors);
        if let Some(p) = self.pages.as_ref().filter(|p| *p.get_ref() == 0) {
            errors.push(at(
                p.span(),
                "`pages` must be at least 1 (the start page)".into(),
            ));
        }
        for p in &self.page {
            checked(p, crate::scan::pages::check_asked, at, errors);
        }
        settings.consent = self.consent_settings(at, errors);
        settings.open_click = self.open_click;
        settings.withdraw_click = self.withdraw_click;
        settings.pages = self.pages.map_or(1, Spanned::into_inner);
        settings.asked_pages = self.page.into_iter().map(Spanned::into_inner).collect();
        settings.steps = self.steps.unwrap_or_else(|| Step::DEFAULT.to_vec());
        settings.clock = self.clock.unwrap_or_default();
        settings.message = self.message;
        settings.cmp_rules = self.cmp_rules.iter().map(|r| base.join(r)).collect();
        settings.banner_words = self.banner_words.iter().map(|r| base.join(r)).collect();
        let table = ScanTable {
            urls: self.urls,
            host: self.host,
            catalog: self.catalog,
            third_party_cookies: self.third_party_cookies,
        };
        (table, settings)
    }

    /// The consent answer; one answer given two ways is a diagnostic at the second.
    fn consent_settings(
        &self,
        at: At<'_>,
        errors: &mut Vec<Diagnostic>,
    ) -> crate::scan::ConsentSettings {
        let text = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone());
        let keys = ConsentKeys {
            consent: self.consent.unwrap_or(ConsentAction::Accept),
            consent_click: text(&self.consent_click),
            consent_js: text(&self.consent_js),
            reject_click: text(&self.reject_click),
            reject_js: text(&self.reject_js),
            consent_text: text(&self.consent_text),
        };
        match keys.try_into() {
            Ok(s) => s,
            Err(conflict @ crate::scan::ConflictingAnswers { second, .. }) => {
                let span = match second {
                    "consent_js" => &self.consent_js,
                    "reject_js" => &self.reject_js,
                    _ => &self.consent_text,
                };
                let span = span.as_ref().map_or(0..0, Spanned::span);
                errors.push(at(span, conflict.to_string()));
                crate::scan::ConsentSettings::default()
            }
        }
    }

    /// The visitor the table describes; the storage-state file is read when the options are made.
    fn visitor(&self, base: &Path, at: At<'_>, errors: &mut Vec<Diagnostic>) -> v::Visitor {
        let raw = |o: &Option<Spanned<String>>| o.as_ref().map(|s| s.get_ref().clone());
        // In the order the table's diagnostics have always come in.
        let locale = self
            .locale
            .as_ref()
            .and_then(|l| checked(l, v::parse_locale, at, errors));
        if let Some(t) = &self.timezone {
            checked(t, v::parse_timezone, at, errors);
        }
        let geolocation = self
            .geolocation
            .as_ref()
            .and_then(|g| checked(g, v::parse_geolocation, at, errors));
        let device = self
            .device
            .as_ref()
            .and_then(|d| checked(d, v::Device::named, at, errors));
        if let Some(p) = &self.proxy {
            checked(p, v::parse_proxy, at, errors);
        }
        let headers = self
            .headers
            .iter()
            .filter_map(|h| checked(h, v::parse_header, at, errors))
            .collect();
        v::Visitor {
            device: device.unwrap_or_default(),
            locale,
            timezone: raw(&self.timezone),
            geolocation,
            user_agent: self.user_agent.clone(),
            proxy: raw(&self.proxy),
            headers,
            storage_state: self
                .storage_state
                .as_ref()
                .map(|p| base.join(p.get_ref()).display().to_string()),
            state: None,
        }
    }
}
