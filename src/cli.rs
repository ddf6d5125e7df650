//! The command line: every subcommand and flag, documented where it is defined (`--help` is the manual).

use chatcookie::report::Format;
use chatcookie::run::Shard;
use chatcookie::scan::defaults;
use chatcookie::store::StoreLocation;
use chatcookie::vocab::Clock;
use chatcookie::vocab::ThirdPartyCookies;
use chatcookie::vocab::parse_duration;
use chatcookie::vocab::{ConsentAction, Step};
use chatcookie::vocab::{FailOn, Rule, Severity, UnknownFailOn};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Which cookies and web-storage keys a live-chat widget writes, at which step, and whether that is allowed.
///
/// chatcookie drives headless Chromium through a site (load, chat widget loaded, cookie consent,
/// chat opened), snapshots every cookie and the localStorage and sessionStorage of every frame
/// after each step, and matches each key against an embedded catalog of chat vendors
/// (Web1on1, Genesys Widgets and Genesys Cloud Web Messenger, tawk.to, JivoChat).
///
/// Exit codes: 0 success; 1 findings at or over the threshold; 2 usage, input or configuration
/// error (including an --output file that cannot be written: the report then goes to standard
/// output; and a --store that is not a chatcookie store or cannot be written); 3 the scan could not complete or could not read everything (browser missing or
/// crashed, site unreachable, storage unreadable); 130 interrupted.
#[derive(Debug, Parser)]
#[command(name = "chatcookie", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a URL, or a local site directory served on loopback, step by step.
    Scan(Box<ScanArgs>),
    /// Scan the demo sites built into the binary (no network needed).
    Demo(Box<DemoArgs>),
    /// List the catalog's vendors and keys, or check a catalog file.
    Catalog(CatalogArgs),
    /// Attribute key names from a capture you already hold (headers, cookies.txt, HAR, storageState, names).
    Classify(ClassifyArgs),
    /// Run the scans a policy file (chatcookie.toml) describes and gate on its findings (for CI).
    Check(Box<CheckArgs>),
    /// Scan a site and write a policy file declaring everything it stores, to review and commit.
    Init(Box<InitArgs>),
    /// Compare two JSON reports: keys and findings added, removed or changed.
    Diff(DiffArgs),
    /// Show a site's scans recorded with `scan --store`, and what changed from scan to scan.
    ///
    /// Lists the site's recorded scans, oldest first, and for each what changed since the scan
    /// before it: keys new, gone, or changed (vendor and catalog key, category, party, first
    /// step, expiry class, cookie flags), and findings new or resolved. A key is the same key
    /// from scan to scan when its storage, name and place match (a cookie's Domain; a storage
    /// item's origin without port); findings are matched by fingerprint. Each scan is compared
    /// with the latest earlier complete scan of the site with the same consent answer (accept
    /// with accept, reject with reject); aborted scans are shown but never compared against.
    /// The store's schema, for your own SQL, is in docs/store.md. Exit code 0, or 2 when the
    /// store cannot be read or holds no such site.
    History(HistoryArgs),
    /// Print a shell completion script to standard output (bash, zsh, fish, elvish, powershell).
    ///
    /// The Debian package installs the bash, zsh and fish scripts already. Elsewhere, e.g.:
    /// `chatcookie completions bash > ~/.local/share/bash-completion/completions/chatcookie`,
    /// `chatcookie completions zsh > ~/.zfunc/_chatcookie` (with ~/.zfunc on $fpath), or
    /// `chatcookie completions fish > ~/.config/fish/completions/chatcookie.fish`.
    Completions(CompletionsArgs),
    /// Write the man pages (chatcookie.1 and one per subcommand, e.g. chatcookie-scan.1) into DIR.
    /// For packaging (scripts/build-deb); hidden from --help.
    #[command(hide = true)]
    Manpages(ManpagesArgs),
}

/// `chatcookie completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `chatcookie manpages DIR` (hidden).
#[derive(Debug, Args)]
pub struct ManpagesArgs {
    /// The directory to write the pages into (created if missing).
    pub dir: PathBuf,
}

/// Judging and gating: the policy, the threshold, the baseline.
#[derive(Debug, Args)]
pub struct GateArgs {
    // What fails the run (exit code 1): the help names the rules and severities from their
    // definitions, so it is written by `fail_on_help`.
    #[arg(long, value_name = "LIST", value_parser = parse_fail_on, help = fail_on_help())]
    pub fail_on: Option<FailOn>,

    /// A previous JSON report: findings already in it do not fail the run (only new ones do).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The policy file.
    #[arg(long, value_name = "FILE", default_value = "chatcookie.toml")]
    pub policy: PathBuf,

    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub browser: BrowserArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub parallel: ParallelArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The URL or directory to scan.
    pub target: String,

    /// Where to write the policy.
    #[arg(long, value_name = "FILE", default_value = "chatcookie.toml")]
    pub policy: PathBuf,

    /// Overwrite an existing policy file.
    #[arg(long)]
    pub force: bool,

    /// Host name to serve a directory under (default: www.<dir-name>.test).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,

    #[command(flatten)]
    pub browser: BrowserArgs,
    #[command(flatten)]
    pub steps: StepArgs,
    #[command(flatten)]
    pub catalog: CatalogFiles,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    pub old: PathBuf,
    /// The later JSON report.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// `chatcookie history SITE --store FILE` (the manual is on [`Command::History`]).
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The site: a URL (http://www.example.com:8080/shop names the site http://www.example.com:
    /// scheme and host, the port and path dropped) or a bare host (www.example.com, any scheme).
    /// When nothing matches, the sites the store holds are listed.
    pub site: String,

    /// The store written by `scan --store`: an SQLite file, or a PostgreSQL URL
    /// (postgres://USER@HOST:PORT/DATABASE).
    #[arg(long, value_name = "FILE|URL", value_parser = parse_store_location)]
    pub store: StoreLocation,

    /// Output format: `table` (one block per scan with +new, -gone, ~changed lines) or `json`
    /// (the stable shape documented in docs/store.md).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Show at most the N most recent scans (the oldest of them is still compared with the scan
    /// before it).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub limit: u32,

    /// Show only scans started on or after this date (YYYY-MM-DD, midnight UTC) or time (RFC 3339,
    /// e.g. 2026-11-01T09:00:00+01:00). The first scan shown is still compared with the one before.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<String>,
}

/// A flag's value that does not parse: clap shows this text after the flag's name.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(String);

fn parse_pages(s: &str) -> Result<usize, InvalidValue> {
    match s.parse::<usize>() {
        Ok(0) => Err(InvalidValue("at least 1: the start page counts".into())),
        Ok(n) => Ok(n),
        Err(_) => Err(InvalidValue(format!("`{s}` is not a number of pages"))),
    }
}

fn parse_page(s: &str) -> Result<String, chatcookie::scan::pages::InvalidPage> {
    chatcookie::scan::pages::check_asked(s).map(|()| s.to_string())
}

fn parse_since(s: &str) -> Result<String, InvalidValue> {
    chatcookie::store::timestamp_key(s).ok_or_else(|| {
        InvalidValue(format!(
            "`{s}` is not a date (YYYY-MM-DD) or an RFC 3339 time (2026-11-01T09:00:00Z)"
        ))
    })
}

/// A `--store` value: a PostgreSQL URL or a file path. What is wrong with it is said when the
/// command checks it (`scan` before the first page, `history` when it opens it).
fn parse_store_location(s: &str) -> chatcookie::Result<StoreLocation> {
    StoreLocation::parse(s)
}

fn parse_fail_on(s: &str) -> Result<FailOn, UnknownFailOn> {
    FailOn::parse(s)
}

/// `--fail-on`'s help: every rule id and severity, as `Rule` and `Severity` list them (no final
/// period, as clap writes a one-paragraph doc comment).
fn fail_on_help() -> String {
    format!(
        "What fails the run (exit code 1), comma-separated: rule ids ({}) and/or a severity \
         ({}: that severity and above); `never` fails on nothing. Default for `scan`: never; for \
         `check`: the policy's [gate] fail_on, else `high`",
        Rule::NAMES.join(", "),
        Severity::NAMES.join(", ")
    )
}

/// Flags shared by every command that matches keys.
#[derive(Debug, Args)]
pub struct CatalogFiles {
    /// Add a catalog file (same TOML format as catalog/*.toml); repeatable. A file may add
    /// vendors, or keys to an existing vendor with `extend = true` in its [vendor] table.
    #[arg(long = "catalog", value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// How the browser is found or reached.
#[derive(Debug, Args)]
pub struct BrowserArgs {
    /// The Chromium or Chrome binary. Default: the CHROME variable, then chromium,
    /// chromium-browser, google-chrome-stable, google-chrome, chrome or msedge on PATH.
    #[arg(long, value_name = "PATH", env = "CHROME")]
    pub chrome: Option<PathBuf>,

    /// Use an already running browser (a farm's) instead of launching one. Forms: a WebSocket
    /// URL as the farm gives it, query and path kept (ws://localhost:3000?token=T,
    /// ws://grid:4444/session/ID/se/cdp, wss://… over TLS), or the remote-debugging endpoint
    /// http://HOST:PORT (https://… over TLS), whose WebSocket URL is asked of /json/version;
    /// any host name that resolves will do. Credentials go in the query, as user:pass@ in the
    /// URL (sent as Basic authorization) or in --connect-header. TLS trusts the Mozilla roots
    /// and the certificates of the PEM file SSL_CERT_FILE names. Each scan runs in its own
    /// browser context there; the browser is left running. A farm ends sessions at a time limit
    /// of its own (browserless: `timeout`, 30 s by default, e.g. ?token=T&timeout=600000;
    /// Selenium Grid: --session-timeout): set it above the run's length. A malformed URL is
    /// exit 2; so is a
    /// site directory as target unless the farm runs on this machine (its host resolves to
    /// loopback), as a directory is served on 127.0.0.1 only.
    #[arg(long, value_name = "URL", value_parser = chatcookie::browser::endpoint::Endpoint::parse)]
    pub connect: Option<chatcookie::browser::endpoint::Endpoint>,

    /// A header sent with --connect's requests (the /json/version request and the WebSocket
    /// handshake), e.g. 'Authorization: Bearer TOKEN'; repeatable. `Host` replaces the one
    /// sent; the handshake's own headers (Upgrade, Connection, Sec-WebSocket-*) cannot be set.
    #[arg(
        long,
        value_name = "'NAME: VALUE'",
        requires = "connect",
        value_parser = chatcookie::browser::endpoint::parse_connect_header
    )]
    pub connect_header: Vec<chatcookie::browser::visitor::Header>,

    /// Third-party cookie policy of the launched browser. `block` is what current Chrome does
    /// by default; the report states which policy the scan ran with.
    #[arg(long, value_enum, default_value_t = ThirdPartyCookies::Block)]
    pub third_party_cookies: ThirdPartyCookies,

    /// How long Chromium may take to start.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub launch_timeout: Duration,

    /// Run Chromium without its sandbox (always done as root, where it refuses to start otherwise).
    #[arg(long)]
    pub no_sandbox: bool,
}

/// How each step is carried out and bounded.
#[derive(Debug, Args)]
pub struct StepArgs {
    /// Answer to the cookie banner at the consent step. Without --consent-click, --consent-js or
    /// --consent-text (--reject-click, --reject-js for reject), the consent manager is detected
    /// and answered through its rule (see --cmp-rules); a banner no rule knows is found and
    /// answered by its words, in 35 languages (see --banner-words), and reported as a guess with
    /// its confidence. Every answer is checked: the banner must leave and stay away.
    #[arg(long, value_enum, default_value_t = ConsentAction::Accept)]
    pub consent: ConsentAction,

    /// CSS selector of the banner's accept button (used with --consent accept).
    #[arg(long, value_name = "SELECTOR")]
    pub consent_click: Option<String>,

    /// JavaScript that accepts consent, instead of a click (e.g. "Cookiebot.submitCustomConsent(true,true,true)").
    #[arg(long, value_name = "EXPR", conflicts_with = "consent_click")]
    pub consent_js: Option<String>,

    /// CSS selector of the banner's reject button (used with --consent reject).
    #[arg(long, value_name = "SELECTOR")]
    pub reject_click: Option<String>,

    /// JavaScript that rejects consent, instead of a click.
    #[arg(long, value_name = "EXPR", conflicts_with = "reject_click")]
    pub reject_js: Option<String>,

    /// Answer the banner by clicking the button, link or [role=button] with this visible text
    /// (case-insensitive; an exact match wins over one that contains it), in the page, its open
    /// shadow roots and all its frames. For banners no consent-manager rule covers; works with
    /// --consent accept or reject (give the text of the matching button).
    #[arg(
        long,
        value_name = "TEXT",
        conflicts_with_all = ["consent_click", "consent_js", "reject_click", "reject_js"]
    )]
    pub consent_text: Option<String>,

    /// Add consent-manager rules (same TOML format as catalog/cmps.toml, see docs/cmp-rules.md);
    /// repeatable. An entry whose id is already defined replaces it only with `replace = true`.
    #[arg(long, value_name = "FILE")]
    pub cmp_rules: Vec<PathBuf>,

    /// Add words of cookie banners (same TOML format as catalog/banner-words.toml: per language,
    /// the phrases of accept, reject, "only necessary", settings and save controls, and the
    /// words of dialogs that are not cookie banners); repeatable. A language already known gains
    /// the file's phrases.
    #[arg(long, value_name = "FILE")]
    pub banner_words: Vec<PathBuf>,

    /// Open the chat by clicking this element instead of the vendor's own open call.
    #[arg(long, value_name = "SELECTOR")]
    pub open_click: Option<String>,

    /// Steps to run, comma-separated; they always run in their natural order: load, widget,
    /// consent, chat_open, chat_message (sends a first message: off by default, see --message),
    /// revisit and withdraw. With --pages, load and widget run on every page, consent on the
    /// first page where a banner shows (then carried), chat_open on the first page where a
    /// widget is found after it. `revisit` (off by default): after the last page, the start page
    /// in a new tab of the same profile, as a visitor coming back later the same day; it only
    /// observes, and says which keys persisted, changed, went or came, and whether the banner
    /// showed again. `withdraw` (off by default; needs consent and --consent accept): on the
    /// start page, consent is withdrawn the way the consent manager offers it (its own way back
    /// into its settings, then its refusal; its documented call where the page shows no control;
    /// see --withdraw-click), and what is still stored after it is judged.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = defaults::STEPS_TEXT
    )]
    pub steps: Vec<Step>,

    /// Upper bound for each step: its action plus settling. A step that reaches it is
    /// reported as timed out and snapshotted anyway.
    #[arg(long, value_name = "DURATION", default_value = defaults::STEP_TIMEOUT_TEXT, value_parser = parse_duration)]
    pub step_timeout: Duration,

    /// A step has settled when cookies, storage and network were still for this long (requests
    /// in flight hold it back, except long polls): page time on the fast clock (the page lives
    /// the window at once, every timer due in it firing), real time with --clock real. Writes a
    /// page delays with its own timers beyond this window are missed: raise it (e.g. 1s) for a
    /// thorough audit.
    #[arg(long, value_name = "DURATION", default_value = defaults::QUIET_TEXT, value_parser = parse_duration)]
    pub quiet: Duration,

    /// How long the widget step waits for a chat widget to appear, in the page's own time
    /// (see --clock); a consent answer waits as long for a widget it released, when none was
    /// there before.
    #[arg(long, value_name = "DURATION", default_value = defaults::WIDGET_TIMEOUT_TEXT, value_parser = parse_duration)]
    pub widget_timeout: Duration,

    /// How the page's time runs while the scan waits for a widget or banner that may not come.
    /// `fast`: page time keeps pace with real time, and while the scan waits it runs ahead
    /// (Chromium's virtual time): timers due within the wait fire as soon as the page is
    /// otherwise idle, a network fetch holds page time back, and the wait ends when the page has
    /// lived through it, so a widget a site delays by 2.5 s is seen at once and a page without
    /// one costs no 3 s. `real`: every wait lasts until its answer or its bound, in real time;
    /// for a page that measures time against the network (the page can notice its clock jump).
    #[arg(long, value_enum, value_name = "CLOCK", default_value = "fast")]
    pub clock: Clock,

    /// Visit at most N pages of the start page's site (same registrable domain; for an IP
    /// address the same host), the start page included, in one tab as a visitor clicking
    /// through: breadth first, each page's links in document order, the sitemap's pages
    /// (robots.txt's, else /sitemap.xml) right after the start page's links. Never followed:
    /// other sites, mailto:/tel:/javascript:, links to the same page, download links, answers
    /// that are no HTML page, log-out links (by their path or words). The report lists the pages
    /// visited and those left out, with why.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_pages)]
    pub pages: usize,

    /// A page of the same site to visit right after the start page, on top of --pages: a path
    /// (/contact) or an address; repeatable.
    #[arg(long = "page", value_name = "PATH_OR_URL", value_parser = parse_page)]
    pub page: Vec<String>,

    /// Withdraw consent (the `withdraw` step) by clicking this element, then refusing in the
    /// settings it opens, instead of the consent manager's own way back.
    #[arg(long, value_name = "SELECTOR")]
    pub withdraw_click: Option<String>,

    /// The first message the `chat_message` step sends (`--steps ...,chat_message`). That step
    /// is off by default: on a live site the message reaches the site's real support staff.
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,

    #[command(flatten)]
    pub visitor: VisitorArgs,
}

impl StepArgs {
    /// The scan's settings these flags give: every flag, its default where not given (clap
    /// forbids two ways of one answer, so the consent keys always make one answer).
    pub fn settings(&self) -> chatcookie::scan::Settings {
        let keys = chatcookie::scan::ConsentKeys {
            consent: self.consent,
            consent_click: self.consent_click.clone(),
            consent_js: self.consent_js.clone(),
            reject_click: self.reject_click.clone(),
            reject_js: self.reject_js.clone(),
            consent_text: self.consent_text.clone(),
        };
        chatcookie::scan::Settings {
            consent: keys
                .try_into()
                .expect("clap forbids two ways of giving one answer"),
            open_click: self.open_click.clone(),
            withdraw_click: self.withdraw_click.clone(),
            pages: self.pages,
            asked_pages: self.page.clone(),
            steps: self.steps.clone(),
            step_timeout: self.step_timeout,
            quiet: self.quiet,
            widget_timeout: self.widget_timeout,
            clock: self.clock,
            message: self.message.clone(),
            cmp_rules: self.cmp_rules.clone(),
            banner_words: self.banner_words.clone(),
            visitor: self.visitor.visitor(),
        }
    }
}

/// Who the page sees. By default a desktop Chrome visitor: `navigator.webdriver` false, the
/// browser's real version in the User-Agent and client hints without "Headless", a screen at
/// least as large as the window. The report states what the page saw, read back from it.
#[derive(Debug, Args, Default)]
pub struct VisitorArgs {
    /// The visitor's language (BCP 47, e.g. de-DE): Accept-Language, navigator.languages and
    /// the page's Intl formats.
    #[arg(long, value_name = "TAG", value_parser = chatcookie::browser::visitor::parse_locale)]
    pub locale: Option<String>,

    /// The visitor's time zone (IANA, e.g. Europe/Berlin).
    #[arg(long, value_name = "IANA", value_parser = chatcookie::browser::visitor::parse_timezone)]
    pub timezone: Option<String>,

    /// Where the visitor is, for navigator.geolocation (permission granted): LAT,LON in
    /// degrees, optionally ,ACCURACY in metres (default 50).
    #[arg(long, value_name = "LAT,LON", value_parser = chatcookie::browser::visitor::parse_geolocation)]
    pub geolocation: Option<chatcookie::browser::visitor::Geolocation>,

    /// The device: desktop (default), laptop, mobile (= pixel-7), pixel-7, galaxy-s23, tablet.
    /// Sets viewport, screen, pixel ratio, touch and a matching Chrome User-Agent.
    #[arg(long, value_name = "NAME", value_parser = chatcookie::browser::visitor::Device::named)]
    pub device: Option<chatcookie::browser::visitor::Device>,

    /// Send this User-Agent instead of the device's (client hints then say nothing more).
    #[arg(long, value_name = "STRING")]
    pub user_agent: Option<String>,

    /// Send every request through this proxy (http://, https://, socks4:// or socks5://
    /// HOST:PORT): the egress of the country an audit is about. Checked before the scan: an
    /// unreachable proxy is an input error (exit 2); one that fails during the scan, exit 3.
    #[arg(long, value_name = "URL", value_parser = chatcookie::browser::visitor::parse_proxy)]
    pub proxy: Option<String>,

    /// Add a request header to every request ('Name: value'); repeatable.
    #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = chatcookie::browser::visitor::parse_header)]
    pub headers: Vec<chatcookie::browser::visitor::Header>,

    /// Start with the cookies and localStorage of this Playwright storageState JSON file
    /// (`{"cookies": [...], "origins": [{"origin", "localStorage": [...]}]}`): a logged-in
    /// visitor, or a returning one. localStorage is seeded into the first page only.
    #[arg(long, value_name = "FILE", value_parser = parse_storage_state)]
    pub storage_state: Option<StorageStateFile>,
}

/// A storage-state file named on the command line, read and checked when parsed.
#[derive(Debug, Clone)]
pub struct StorageStateFile {
    pub path: PathBuf,
    pub state: chatcookie::browser::visitor::StorageState,
}

fn parse_storage_state(s: &str) -> Result<StorageStateFile, chatcookie::Error> {
    let path = PathBuf::from(s);
    let state = chatcookie::browser::visitor::load_storage_state(&path)?;
    Ok(StorageStateFile { path, state })
}

impl VisitorArgs {
    /// The visitor these flags describe.
    pub fn visitor(&self) -> chatcookie::browser::visitor::Visitor {
        chatcookie::browser::visitor::Visitor {
            device: self.device.unwrap_or_default(),
            locale: self.locale.clone(),
            timezone: self.timezone.clone(),
            geolocation: self.geolocation,
            user_agent: self.user_agent.clone(),
            proxy: self.proxy.clone(),
            headers: self.headers.clone(),
            storage_state: self
                .storage_state
                .as_ref()
                .map(|s| s.path.display().to_string()),
            state: self.storage_state.as_ref().map(|s| s.state.clone()),
        }
    }
}

/// Where and how results are written.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format; several (comma-separated or repeated) with --output-dir, one file each:
    /// table (report.txt), json (report.json), jsonl (report.jsonl), junit (report.junit.xml),
    /// sarif (report.sarif), markdown (report.md), html (report.html, self-contained,
    /// screenshots embedded), csv (inventory.csv), declaration-md (declaration.md),
    /// declaration-html (declaration.html), har (scan.har).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "table")]
    pub format: Vec<Format>,

    /// Write the report to this file instead of standard output (one format only).
    #[arg(long, short, value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,

    /// Print one line per finished step to standard error (the report still comes at the end).
    #[arg(long)]
    pub progress: bool,
    /// Write one file per --format into this directory (created if missing), plus each step's
    /// screenshot as step-N-STEP.png. If the directory cannot be created or a file cannot be
    /// written, the other files are still written, the unwritten ones go to a new temporary
    /// directory (its path is printed), and the exit code is 2.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Take a screenshot of the page after each step (PNG). On by default with --format html or
    /// --output-dir, off otherwise (it costs time); --screenshots=false turns it off.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub screenshots: Option<bool>,

    /// Include cookie and storage values in the report. By default only their length and a
    /// short hash are shown: values are evidence, and often secrets.
    #[arg(long)]
    pub show_values: bool,
}

impl OutputArgs {
    /// Whether scans take step screenshots: as asked, else when a report shows or stores them.
    pub fn screenshots(&self) -> bool {
        self.screenshots.unwrap_or(
            self.output_dir.is_some() || self.format.iter().any(|f| f.shows_screenshots()),
        )
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// http(s) URLs, or directories to serve on loopback as http://www.<dir-name>.test:<port>/
    /// (a real-looking host name, so Domain cookies behave as in production). Several targets
    /// (here or with --urls) are scanned as one run: see --jobs.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Host name to serve a directory under (default: www.<dir-name>.test); one target only.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,

    /// Judge against this policy file's declarations (undeclared, declared-not-seen, duration).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Scan once per consent answer, each in a fresh browser profile, and report the passes side
    /// by side with what differs (e.g. `accept,reject`: a widget that writes the same keys after
    /// reject as after accept shows at once). Overrides --consent.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "ANSWERS")]
    pub passes: Vec<ConsentAction>,

    /// Record the scan (each pass) in this SQLite file, created if missing, or in the PostgreSQL
    /// database of a URL (postgres://USER@HOST:PORT/DATABASE; the tables are created if missing;
    /// PGPASSWORD and PGUSER fill what the URL leaves out): site, options, every key with its
    /// attributes (never its value), the findings and the full report. `chatcookie history SITE
    /// --store FILE|URL` then shows what changed from scan to scan; the schema is in
    /// docs/store.md. Several jobs may write the same store: on one machine they wait for each
    /// other on the file, and a fleet of sharded jobs (--shard) writes one PostgreSQL history. A
    /// store that is not a chatcookie store or cannot be reached is refused before the scan; if
    /// recording fails after it, the report is still written and the exit code is 2.
    #[arg(long, value_name = "FILE|URL", value_parser = parse_store_location)]
    pub store: Option<StoreLocation>,

    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub browser: BrowserArgs,
    #[command(flatten)]
    pub steps: StepArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub catalog: CatalogFiles,
    #[command(flatten)]
    pub sites: SiteListArgs,
}

/// Many targets in one run: where they come from, how many run at once, which share is ours.
#[derive(Debug, Args)]
pub struct SiteListArgs {
    /// Read targets from this file (`-` for standard input): one URL or directory per line;
    /// blank lines and lines starting with `#` are ignored. Added after the TARGET arguments.
    /// A target listed twice is scanned once.
    #[arg(long, value_name = "FILE")]
    pub urls: Option<PathBuf>,

    #[command(flatten)]
    pub parallel: ParallelArgs,
}

/// How a run of many targets is spread: scans at once here, and this machine's share.
#[derive(Debug, Args)]
pub struct ParallelArgs {
    /// Scans to run at once. Each scan gets its own browser context (its own cookie jar and
    /// storage) in one shared browser, so nothing leaks from one site to the next; with
    /// `--third-party-cookies allow` each scan gets its own browser instead (a fresh context
    /// would block third-party cookies). Default 1: settling is timing-based, so parallel scans
    /// on a loaded machine may settle later; raise it for throughput (e.g. 4 on 2 cores).
    /// A site that fails is reported as such and does not stop the others; if the browser
    /// itself dies, it is relaunched and the scans it took down are retried once.
    #[arg(long, short, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// Scan only share K of N of the target list (1-based), for CI matrix jobs or Kubernetes
    /// indexed jobs: after duplicates are dropped, the target at position i (0-based) belongs
    /// to share (i mod N) + 1. Every machine given the same list computes the same split.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Demo sites to scan (default: all). See --list.
    pub sites: Vec<String>,

    /// List the demo sites and what each demonstrates.
    #[arg(long)]
    pub list: bool,

    /// Answer to the demo sites' cookie banners.
    #[arg(long, value_enum, default_value_t = ConsentAction::Accept)]
    pub consent: ConsentAction,

    #[command(flatten)]
    pub browser: BrowserArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Show only this vendor (its id, e.g. tawkto).
    #[arg(long, value_name = "ID")]
    pub vendor: Option<String>,

    /// Show an Open Cookie Database platform's keys instead (its id or name, e.g. "Google
    /// Analytics"; a part of a name lists every platform it matches).
    #[arg(long, value_name = "NAME", conflicts_with = "vendor")]
    pub platform: Option<String>,

    /// Report how many Open Cookie Database entries are generic and why (the distinctiveness rule).
    #[arg(long, conflicts_with_all = ["vendor", "platform"])]
    pub ocd_report: bool,

    /// Validate this catalog file (alone and against the embedded catalog) and exit.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    #[command(flatten)]
    pub catalog: CatalogFiles,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The capture: a file, or `-` (default) for standard input. The format is detected (the
    /// detected name is in the output): `cookie-header` (a `Cookie:`/`Set-Cookie:` header or a
    /// `name=value; …` string), `raw-headers` (HTTP request/response headers as `curl -v` prints
    /// them or DevTools copies them: only Cookie and Set-Cookie lines yield keys), `cookies-txt`
    /// (a Netscape cookies.txt), `name-list` (one name per line), `har` (a HAR file, also one
    /// exported without cookies: its request URLs still evidence vendor scripts),
    /// `storage-state` (Playwright/Puppeteer storageState JSON: cookies and localStorage) or
    /// `json-array` (names, or {name, storage?, domain?} objects such as Puppeteer's
    /// page.cookies()). A missing, unreadable or malformed input exits with 2 (with the line and
    /// column of a JSON error).
    #[arg(default_value = "-")]
    pub input: String,

    /// Output format: `table`, `json` (one document), or `jsonl` (one JSON object per key, the
    /// same objects as the JSON's `keys`, written as the input is read: memory stays flat on
    /// inputs of millions of names; keys whose generic name needs evidence from the whole input
    /// come last, and each has its `origin`).
    #[arg(long, value_enum, default_value_t = ClassifyFormat::Table)]
    pub format: ClassifyFormat,

    /// Include values in the output (never shown otherwise).
    #[arg(long)]
    pub show_values: bool,

    #[command(flatten)]
    pub catalog: CatalogFiles,
}

/// Output formats of `classify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClassifyFormat {
    Table,
    Json,
    Jsonl,
}

/// Output formats of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        // The defaults --help shows are the defaults the library uses.
        assert_eq!(
            parse_duration(defaults::STEP_TIMEOUT_TEXT),
            Ok(defaults::STEP_TIMEOUT)
        );
        assert_eq!(parse_duration(defaults::QUIET_TEXT), Ok(defaults::QUIET));
        assert_eq!(
            parse_duration(defaults::WIDGET_TIMEOUT_TEXT),
            Ok(defaults::WIDGET_TIMEOUT)
        );
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn shards_split_a_list_round_robin_and_cover_it_once() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let list: Vec<u32> = (0..10).collect();
        let shares: Vec<Vec<u32>> = (1..=3)
            .map(|k| Shard { index: k, count: 3 }.select(list.clone()))
            .collect();
        assert_eq!(shares[0], vec![0, 3, 6, 9]);
        assert_eq!(shares[1], vec![1, 4, 7]);
        let mut all: Vec<u32> = shares.concat();
        all.sort();
        assert_eq!(all, list);
    }

    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
