//! End-to-end harness: real headless Chromium, driven over WebDriver, against the whole desk
//! (backend + the trunk-built frontend in `dist/`) running in-process on its simulated exchange.
//!
//! # Layout
//!
//! - [`run_in_browser`] is the only entry point a test needs. It starts the pieces below, runs the
//!   test body, and *always* closes the WebDriver session afterwards (also when the body returns an
//!   error or panics), so no Chromium outlives a test. On failure it first saves a screenshot and
//!   the page's HTML into `tests/artifacts/`.
//! - [`ChromeDriver`] is a `chromedriver --port=<free port>` child process, killed with its process
//!   group on drop.
//! - [`Browser`] is one fantoccini session in a fresh Chromium profile, with helpers that find
//!   elements only through `[data-testid="..."]` selectors ([`testid`], [`sel`]):
//!   [`Browser::wait_for`], [`Browser::text_of`], [`Browser::fill`], [`Browser::screenshot`].
//! - [`Price`] parses and prints the desk's dollar prices exactly (ten-thousandths of a dollar).
//!
//! Data flows: test body → [`Browser`] → WebDriver (plain HTTP to chromedriver on 127.0.0.1) →
//! Chromium → HTTP and WebSocket to the desk (`desk_backend::Application`, port 0) → the desk's
//! built-in simulated Kalshi exchange.
//!
//! Environment: `CHROMEDRIVER` (default `/usr/bin/chromedriver`) and `CHROME` (default
//! `/usr/bin/chromium`) name the binaries; `bash scripts/test.sh` installs both and builds `dist/`.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context as _};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::keys::TestKey;

/// How long [`Browser::wait_for`] and friends wait before giving up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// How often a wait re-checks the page.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// How long chromedriver may take to answer `/status`.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);

/// Chromium flags for a quiet, deterministic, sandbox-free (containers, root) headless run.
const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
];

/// The user every browser test logs in as (an admin, so every control is on screen).
pub const E2E_USER: &str = "e2e-admin";
/// The password of every user the harness adds.
pub const E2E_PASSWORD: &str = "e2e-password-123";

/// Adds `username` with `role` to the desk's store (the CLI's code path), password
/// [`E2E_PASSWORD`].
pub async fn add_user(
    store: &desk_backend::team::store::Store,
    username: &str,
    role: shared::auth::Role,
) -> anyhow::Result<shared::auth::UserView> {
    desk_backend::team::auth::add_user(
        store,
        username,
        secrecy::SecretString::from(E2E_PASSWORD),
        role,
        &shared::auth::UserLimits::default(),
    )
    .await
    .with_context(|| format!("adding the test user {username}"))
}

/// One browser test at a time per test binary: two Chromiums on a small CI box make the
/// timing-based waits flaky, and the tests are few.
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The workspace root (this crate lives in `<workspace>/testkit`).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test kit lives inside the workspace")
        .to_path_buf()
}

/// The built frontend, `<workspace>/dist`; fails with instructions when it has not been built.
pub fn dist_dir() -> anyhow::Result<PathBuf> {
    let dist = workspace_dir().join("dist");
    let index = dist.join("index.html");
    ensure!(
        index.is_file(),
        "{} is missing: the frontend has not been built. Run the README test command \
         `bash scripts/test.sh` (it builds dist/ with `trunk build --release --offline` and then \
         runs the tests), or build it yourself with `trunk build --release --offline`.",
        index.display()
    );
    Ok(dist)
}

/// Where screenshots and failure dumps go: `tests/artifacts/` (gitignored).
pub fn artifacts_dir() -> PathBuf {
    workspace_dir().join("tests").join("artifacts")
}

/// CSS selector for the element with this `data-testid`.
pub fn testid(id: &str) -> String {
    sel(id, &[])
}

/// CSS selector for the element with this `data-testid` and these exact attribute values,
/// e.g. `sel("ladder-level", &[("data-side", "yes"), ("data-mine", "true")])`.
pub fn sel(id: &str, attrs: &[(&str, &str)]) -> String {
    let mut css = format!("[data-testid=\"{}\"]", css_escape(id));
    for (name, value) in attrs {
        css.push_str(&format!("[{name}=\"{}\"]", css_escape(value)));
    }
    css
}

fn css_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

fn env_or(name: &str, default: &str) -> PathBuf {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// Starts the desk, chromedriver and a Chromium session; runs `body` against a browser that has
/// the desk open; then always closes the session and returns the body's result.
///
/// `name` prefixes this test's artefacts in `tests/artifacts/`.
pub async fn run_in_browser<F>(name: &str, body: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Browser) -> anyhow::Result<()>,
{
    run_in_browser_with_sim(name, async |browser, _| body(browser).await).await
}

/// As [`run_in_browser`], with the desk's built-in exchange handed to `body` too, so a test
/// can steer it (settle a market, change the flow).
pub async fn run_in_browser_with_sim<F>(name: &str, body: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Browser, &kalshi_sim::SimExchange) -> anyhow::Result<()>,
{
    run_in_browser_configured(name, |_| {}, body).await
}

/// As [`run_in_browser_with_sim`], on a desk whose test configuration `change` adjusts
/// first (say, a Kalshi-sized universe on the built-in exchange).
pub async fn run_in_browser_configured<F>(
    name: &str,
    change: impl FnOnce(&mut desk_backend::Config),
    body: F,
) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Browser, &kalshi_sim::SimExchange) -> anyhow::Result<()>,
{
    let _slot = ONE_BROWSER_AT_A_TIME.lock().await;

    let mut config = desk_backend::Config::for_tests(dist_dir()?);
    change(&mut config);
    let app = desk_backend::Application::build(config)
        .await
        .context("building the desk (simulated exchange)")?;
    let sim = app
        .sim()
        .context("the test desk runs on its built-in exchange")?;
    add_user(&app.store(), E2E_USER, shared::auth::Role::Admin).await?;
    let desk_url = format!("http://127.0.0.1:{}/", app.port());
    eprintln!(
        "[{name}] desk at {desk_url} (simulated exchange on port {})",
        app.sim_port()
            .map_or_else(|| "-".to_owned(), |p| p.to_string())
    );
    // The desk runs inside this task, raced against the test below: if it stops early, the
    // test fails at once with the desk's error instead of timing out on a dead page.
    let desk = app.run_until_stopped();
    tokio::pin!(desk);

    let driver = ChromeDriver::start(name).await?;
    let browser = Browser::open(&driver, name).await?;

    let outcome = tokio::select! {
        stopped = &mut desk => match stopped {
            Ok(()) => Err(anyhow!("the desk stopped while the test was running")),
            Err(err) => Err(err.context("the desk failed while the test was running")),
        },
        ran = AssertUnwindSafe(async {
            browser.log_in(&desk_url, E2E_USER).await?;
            body(&browser, &sim).await
        }).catch_unwind() => match ran {
            Ok(result) => result,
            Err(panic) => Err(anyhow!("the test panicked: {}", panic_message(panic.as_ref()))),
        },
    };

    if let Err(err) = &outcome {
        eprintln!("[{name}] FAILED: {err:#}");
        browser.dump_failure().await;
    }
    let closed = browser.close().await;
    drop(driver);
    match (outcome, closed) {
        (Err(err), _) => Err(err),
        (Ok(()), Err(err)) => Err(err),
        (Ok(()), Ok(())) => Ok(()),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}

/// A running `chromedriver`, killed together with its process group on drop.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port and waits until it reports itself ready.
    /// Its log goes to `tests/artifacts/<name>-chromedriver.log`.
    pub async fn start(name: &str) -> anyhow::Result<ChromeDriver> {
        let bin = env_or("CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = free_port()?;
        let artifacts = artifacts_dir();
        std::fs::create_dir_all(&artifacts)
            .with_context(|| format!("creating {}", artifacts.display()))?;
        let log = artifacts.join(format!("{}-chromedriver.log", file_stem(name)));

        let mut command = Command::new(&bin);
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            // Own process group, so drop can also take down any Chromium left behind.
            .process_group(0);
        let child = command.spawn().with_context(|| {
            format!(
                "starting {} (set CHROMEDRIVER to its path; `bash scripts/test.sh` installs \
                 Debian's chromium-driver)",
                bin.display()
            )
        })?;
        let mut driver = ChromeDriver { child, port };
        driver.wait_ready().await?;
        Ok(driver)
    }

    /// `http://127.0.0.1:<port>`, the WebDriver endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("chromedriver exited at startup with {status}");
            }
            let last = match driver_ready(self.port).await {
                Ok(true) => return Ok(()),
                Ok(false) => "it answered /status with ready=false".to_owned(),
                Err(err) => format!("{err:#}"),
            };
            if Instant::now() >= deadline {
                bail!(
                    "chromedriver on port {} not ready after {:?}: {last}",
                    self.port,
                    DRIVER_START_TIMEOUT
                );
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            // Best effort: the group is chromedriver plus whatever it launched. A normal test
            // has closed its session already, so this finds nothing left but chromedriver.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
    }
}

/// Asks chromedriver's `GET /status` whether it accepts new sessions.
async fn driver_ready(port: u16) -> anyhow::Result<bool> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    // HTTP/1.1 with the port in Host: chromedriver drops HTTP/1.0 and port-less Host requests.
    let request =
        format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    // chromedriver may keep the connection open, so read until the body is a whole JSON value.
    let read_status = async {
        let mut response = Vec::new();
        let mut chunk = [0_u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            ensure!(n > 0, "connection closed before a complete /status answer");
            response.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&response);
            if let Some((_, body)) = text.split_once("\r\n\r\n") {
                if let Ok(status) = serde_json::from_str::<serde_json::Value>(body) {
                    return Ok(status);
                }
            }
        }
    };
    let status = tokio::time::timeout(Duration::from_secs(2), read_status)
        .await
        .context("timed out reading /status")??;
    Ok(status["value"]["ready"].as_bool().unwrap_or(false))
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One WebDriver session in headless Chromium with a throwaway profile.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    name: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Opens a session through `driver` (the page stays blank until [`Browser::goto`]).
    pub async fn open(driver: &ChromeDriver, name: &str) -> anyhow::Result<Browser> {
        Browser::open_with(driver, name, None).await
    }

    /// Opens a session whose browser records a Chromium trace of `categories` from the start
    /// (chromedriver's performance log, without its network and page events); read it with
    /// [`Browser::trace_events`]. For benchmarks: tracing costs the page some time.
    pub async fn open_traced(
        driver: &ChromeDriver,
        name: &str,
        categories: &str,
    ) -> anyhow::Result<Browser> {
        Browser::open_with(driver, name, Some(categories)).await
    }

    async fn open_with(
        driver: &ChromeDriver,
        name: &str,
        trace_categories: Option<&str>,
    ) -> anyhow::Result<Browser> {
        let chrome = env_or("CHROME", "/usr/bin/chromium");
        ensure!(
            chrome.is_file(),
            "{} not found (set CHROME to Chromium's path; `bash scripts/test.sh` installs Debian's \
             chromium)",
            chrome.display()
        );
        let profile = tempfile::Builder::new()
            .prefix("desk-e2e-chrome-")
            .tempdir()
            .context("creating a Chromium profile dir")?;
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));

        let mut capabilities = fantoccini::wd::Capabilities::new();
        capabilities.insert("browserName".to_owned(), "chrome".into());
        let mut chrome_options = serde_json::json!({ "binary": chrome, "args": args });
        if let Some(categories) = trace_categories {
            chrome_options["perfLoggingPrefs"] = serde_json::json!({
                "enableNetwork": false,
                "enablePage": false,
                "traceCategories": categories,
            });
            capabilities.insert(
                "goog:loggingPrefs".to_owned(),
                serde_json::json!({ "performance": "ALL" }),
            );
        }
        capabilities.insert("goog:chromeOptions".to_owned(), chrome_options);
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let client = builder
            .connect(&driver.url())
            .await
            .with_context(|| format!("opening a Chromium session through {}", driver.url()))?;
        Ok(Browser {
            client,
            name: name.to_owned(),
            _profile: profile,
        })
    }

    /// The underlying fantoccini client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens the desk at `url`, logs in as `username` (password [`E2E_PASSWORD`]) through the
    /// real login page, and waits until the desk shows the user.
    pub async fn log_in(&self, url: &str, username: &str) -> anyhow::Result<()> {
        self.goto(url).await?;
        self.wait_for("login-form")
            .await
            .context("the login page")?;
        self.fill("login-username", username).await?;
        self.fill("login-password", E2E_PASSWORD).await?;
        self.click("login-submit").await?;
        self.wait_text(&testid("session-user"), username, DEFAULT_TIMEOUT)
            .await
            .context("logged in: the top bar shows the user")?;
        Ok(())
    }

    /// Navigates to `url` and waits for the document to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))
    }

    /// All elements matching `css` right now (possibly none).
    pub async fn find_all(&self, css: &str) -> anyhow::Result<Vec<Element>> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .with_context(|| format!("finding {css}"))
    }

    /// Waits (up to [`DEFAULT_TIMEOUT`]) for the element with this `data-testid`.
    pub async fn wait_for(&self, id: &str) -> anyhow::Result<Element> {
        self.wait_for_css(&testid(id), DEFAULT_TIMEOUT).await
    }

    /// Waits up to `timeout` for an element matching `css` (build it with [`sel`]).
    pub async fn wait_for_css(&self, css: &str, timeout: Duration) -> anyhow::Result<Element> {
        self.wait_until(&format!("{css} to appear"), timeout, async || {
            Ok(self.find_all(css).await?.into_iter().next())
        })
        .await
    }

    /// Waits up to `timeout` until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str, timeout: Duration) -> anyhow::Result<()> {
        self.wait_until(&format!("{css} to disappear"), timeout, async || {
            Ok(self.find_all(css).await?.is_empty().then_some(()))
        })
        .await
    }

    /// Polls `probe` until it yields `Some`, for at most `timeout`. Probe errors (say, an element
    /// re-rendered between find and read) count as "not yet"; the last one is reported on timeout.
    pub async fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
    ) -> anyhow::Result<T> {
        let deadline = Instant::now() + timeout;
        let mut last_error = None;
        loop {
            match probe().await {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {}
                Err(err) => last_error = Some(err),
            }
            if Instant::now() >= deadline {
                let err = anyhow!("timed out after {timeout:?} waiting for {what}");
                return Err(match last_error {
                    Some(last) => err.context(format!("last error while waiting: {last:#}")),
                    None => err,
                });
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// The visible text of the element with this `data-testid` (waiting for it to exist).
    pub async fn text_of(&self, id: &str) -> anyhow::Result<String> {
        let element = self.wait_for(id).await?;
        element
            .text()
            .await
            .with_context(|| format!("reading the text of {}", testid(id)))
    }

    /// An attribute of `element`, or an error naming `what` when it is absent.
    pub async fn attr(&self, element: &Element, name: &str, what: &str) -> anyhow::Result<String> {
        element
            .attr(name)
            .await
            .with_context(|| format!("reading {name} of {what}"))?
            .with_context(|| format!("{what} has no {name} attribute"))
    }

    /// Replaces the value of the input with this `data-testid` by typing `text`, the way a user
    /// would (so the page sees input events), and checks the input now holds exactly `text`.
    pub async fn fill(&self, id: &str, text: &str) -> anyhow::Result<()> {
        self.fill_css(&testid(id), text).await
    }

    /// As [`Browser::fill`], for the first input matching `css` (e.g. one row's field:
    /// `format!("{} {}", sel("incoming-rfq", &[("data-rfq-id", id)]), testid("quote-yes"))`).
    pub async fn fill_css(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let input = self.wait_for_css(css, DEFAULT_TIMEOUT).await?;
        input
            .click()
            .await
            .with_context(|| format!("focusing {css}"))?;
        input
            .clear()
            .await
            .with_context(|| format!("clearing {css}"))?;
        let select_all_delete = format!("{}a{}{}", Key::Control, Key::Null, Key::Backspace);
        input.send_keys(&select_all_delete).await?;
        input
            .send_keys(text)
            .await
            .with_context(|| format!("typing {text:?} into {css}"))?;
        let value = input.prop("value").await?.unwrap_or_default();
        ensure!(value == text, "{css} holds {value:?} after typing {text:?}");
        Ok(())
    }

    /// Clicks the first element matching `css` (waiting for it to exist).
    pub async fn click_css(&self, css: &str) -> anyhow::Result<()> {
        self.wait_for_css(css, DEFAULT_TIMEOUT)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    /// Waits up to `timeout` until the first element matching `css` has text containing
    /// `needle`; returns that text.
    pub async fn wait_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> anyhow::Result<String> {
        self.wait_until(&format!("{css} to say {needle:?}"), timeout, async || {
            let Some(el) = self.find_all(css).await?.into_iter().next() else {
                return Ok(None);
            };
            let text = el.text().await?;
            Ok(text.contains(needle).then_some(text))
        })
        .await
    }

    /// Picks the `<option value=...>` of the `<select>` with this `data-testid`, once that
    /// option is there (options loaded from the desk arrive after the select).
    pub async fn select(&self, id: &str, value: &str) -> anyhow::Result<()> {
        let select = self.wait_for(id).await?;
        let option = format!("{} option[value={value:?}]", testid(id));
        self.wait_for_css(&option, DEFAULT_TIMEOUT).await?;
        select
            .select_by_value(value)
            .await
            .with_context(|| format!("selecting {value:?} in {}", testid(id)))?;
        let now = select.prop("value").await?.unwrap_or_default();
        ensure!(
            now == value,
            "{} holds {now:?} after selecting {value:?}",
            testid(id)
        );
        Ok(())
    }

    /// Clicks the element with this `data-testid` (waiting for it to exist).
    pub async fn click(&self, id: &str) -> anyhow::Result<()> {
        self.wait_for(id)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {}", testid(id)))
    }

    /// Waits for a live SIM desk, opens the first market of the list and waits for its best
    /// prices: the market's ticker, best YES bid and best YES ask.
    pub async fn open_first_market(&self) -> anyhow::Result<OpenMarket> {
        self.wait_for_css(
            &sel("conn-status", &[("data-state", "live")]),
            DEFAULT_TIMEOUT,
        )
        .await
        .context("the desk's stream never went live")?;
        let row = self.wait_for("market-row").await?;
        let ticker = self
            .attr(&row, "data-ticker", "the first market row")
            .await?;
        row.click().await.context("opening the first market")?;
        self.wait_for("ladder").await?;
        let bid = self
            .wait_until("a best yes bid", DEFAULT_TIMEOUT, async || {
                Ok(Price::parse(&self.text_of("best-yes-bid").await?).ok())
            })
            .await?;
        let ask = self
            .wait_until("a best yes ask", DEFAULT_TIMEOUT, async || {
                Ok(Price::parse(&self.text_of("best-yes-ask").await?).ok())
            })
            .await?;
        Ok(OpenMarket { ticker, bid, ask })
    }

    /// Types a buy-YES limit order for `count` at `price` into the ticket and sends it.
    pub async fn buy_yes(&self, price: Price, count: &str) -> anyhow::Result<()> {
        self.select("ticket-action", "buy").await?;
        self.select("ticket-side", "yes").await?;
        self.fill("ticket-price", &price.two_decimals()).await?;
        self.fill("ticket-count", count).await?;
        self.click("ticket-submit").await
    }

    /// Presses `keys` on the page body with nothing focused (so the page's keyboard
    /// shortcuts see them, not a field).
    pub async fn press(&self, keys: &str) -> anyhow::Result<()> {
        self.client
            .execute(
                "if (document.activeElement) { document.activeElement.blur(); }",
                Vec::new(),
            )
            .await?;
        self.client
            .find(Locator::Css("body"))
            .await?
            .send_keys(keys)
            .await
            .with_context(|| format!("pressing {keys:?}"))
    }

    /// The text behind the link with this `data-testid` (a CSV, say), fetched by the page
    /// with its own session.
    pub async fn download(&self, id: &str) -> anyhow::Result<String> {
        let script = format!(
            "const done = arguments[arguments.length - 1]; \
             const a = document.querySelector('{}'); \
             fetch(a.href).then(r => r.text()).then(done, e => done('ERROR ' + e));",
            testid(id)
        );
        let text = self
            .client
            .execute_async(&script, Vec::new())
            .await
            .with_context(|| format!("fetching the link {}", testid(id)))?;
        let text = text.as_str().context("the link's text")?.to_owned();
        ensure!(!text.starts_with("ERROR "), "{}: {text}", testid(id));
        Ok(text)
    }

    /// Sizes the window so the page's viewport is `width` × `height` CSS pixels (a laptop's
    /// 1280 × 720, say): the window's frame is measured and added.
    pub async fn set_viewport(&self, width: u32, height: u32) -> anyhow::Result<()> {
        let (mut outer_w, mut outer_h) = (width, height);
        for _ in 0..3 {
            self.client
                .set_window_size(outer_w, outer_h)
                .await
                .context("sizing the window")?;
            let inner = self
                .client
                .execute(
                    "return [window.innerWidth, window.innerHeight];",
                    Vec::new(),
                )
                .await
                .context("reading the viewport")?;
            let size = |i: usize| {
                inner
                    .get(i)
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|v| u32::try_from(v).ok())
                    .context("the viewport's size")
            };
            let (w, h) = (size(0)?, size(1)?);
            if (w, h) == (width, height) {
                return Ok(());
            }
            outer_w = (outer_w + width).saturating_sub(w);
            outer_h = (outer_h + height).saturating_sub(h);
        }
        anyhow::bail!("the viewport would not become {width}×{height}")
    }

    /// Saves a PNG of the page as `tests/artifacts/<test>-<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = self.artifact(name, "png")?;
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("[{}] screenshot {}", self.name, path.display());
        Ok(path)
    }

    fn artifact(&self, name: &str, extension: &str) -> anyhow::Result<PathBuf> {
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir.join(format!(
            "{}-{}.{extension}",
            file_stem(&self.name),
            file_stem(name)
        )))
    }

    /// Best effort: a screenshot and the live DOM, for a failed test.
    async fn dump_failure(&self) {
        if let Err(err) = self.screenshot("FAILED").await {
            eprintln!("[{}] (no failure screenshot: {err:#})", self.name);
        }
        let html = self
            .client
            .execute("return document.documentElement.outerHTML;", Vec::new())
            .await;
        let saved = match html {
            Ok(serde_json::Value::String(html)) => {
                self.artifact("FAILED", "html").and_then(|path| {
                    std::fs::write(&path, html)
                        .map(|()| path)
                        .map_err(Into::into)
                })
            }
            Ok(other) => Err(anyhow!("the page returned {other} instead of its HTML")),
            Err(err) => Err(err.into()),
        };
        match saved {
            Ok(path) => eprintln!("[{}] page HTML {}", self.name, path.display()),
            Err(err) => eprintln!("[{}] (no page HTML: {err:#})", self.name),
        }
    }

    /// Ends the WebDriver session, which quits Chromium.
    pub async fn close(self) -> anyhow::Result<()> {
        tokio::time::timeout(Duration::from_secs(30), self.client.close())
            .await
            .context("timed out closing the Chromium session")?
            .context("closing the Chromium session")
    }
}

/// The market [`Browser::open_first_market`] opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenMarket {
    /// Its ticker.
    pub ticker: String,
    /// Best YES bid when it opened.
    pub bid: Price,
    /// Best YES ask when it opened.
    pub ask: Price,
}

/// An exact dollar price in ten-thousandths of a dollar ("0.4500" is 4500), as the desk shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Price(u32);

impl Price {
    /// Ten-thousandths of a dollar per whole cent.
    const CENT: u32 = 100;

    /// From ten-thousandths of a dollar.
    pub const fn from_ten_thousandths(value: u32) -> Price {
        Price(value)
    }

    /// In ten-thousandths of a dollar.
    pub const fn ten_thousandths(self) -> u32 {
        self.0
    }

    /// Parses the desk's display forms: dollars `"0.4500"`, `"0.45"`, `"$0.45"`, `" 1 "`,
    /// and cents `"56¢"`, `"5.6¢"`.
    pub fn parse(text: &str) -> anyhow::Result<Price> {
        let trimmed = text.trim();
        // The page shows prices in cents by default (`56¢`, `5.6¢`); money in dollars.
        match trimmed.strip_suffix('¢') {
            Some(cents) => Self::fixed(text, cents, 2),
            None => Self::fixed(text, trimmed.strip_prefix('$').unwrap_or(trimmed), 4),
        }
    }

    /// `digits` (`56`, `5.6`) with at most `decimals` decimals, as ten-thousandths of a
    /// dollar: cents have 2 decimals (1¢ = 100), dollars 4 (`text` is for errors).
    fn fixed(text: &str, digits: &str, decimals: usize) -> anyhow::Result<Price> {
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        ensure!(
            !whole.is_empty()
                && all_digits(whole)
                && all_digits(fraction)
                && fraction.len() <= decimals,
            "not a price: {text:?}"
        );
        let whole: u32 = whole
            .parse()
            .with_context(|| format!("price {text:?} too large"))?;
        let fraction: u32 = format!("{fraction:0<decimals$}").parse()?;
        let value = whole
            .checked_mul(10_u32.pow(u32::try_from(decimals)?))
            .and_then(|w| w.checked_add(fraction))
            .with_context(|| format!("price {text:?} too large"))?;
        Ok(Price(value))
    }

    /// The price `cents` whole cents lower, rounded down to a whole cent; `None` below one cent.
    pub fn cents_below(self, cents: u32) -> Option<Price> {
        let whole_cents = (self.0 / Self::CENT).checked_sub(cents)?;
        (whole_cents >= 1).then_some(Price(whole_cents * Self::CENT))
    }

    /// Two decimals, as typed into the ticket: `"0.40"` (sub-cent digits are dropped).
    pub fn two_decimals(self) -> String {
        let cents = self.0 / Self::CENT;
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

/// Four decimals, as the desk shows prices and puts them in `data-price`: `"0.4000"`.
impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:04}", self.0 / 10_000, self.0 % 10_000)
    }
}

/// Two desks trading with each other: one simulated exchange with two registered keys
/// (`requester`, `maker`; RSA keys made with the `openssl` CLI at run time), a desk for
/// each key in this process, and a Chromium session on each desk.
pub struct TwoDesks<'a> {
    /// The shared exchange (tests steer it: confirmation windows, fills).
    pub sim: &'a kalshi_sim::SimExchange,
    /// The requester's browser.
    pub requester: &'a Browser,
    /// The market maker's browser.
    pub maker: &'a Browser,
    /// The requester's desk, `http://127.0.0.1:<port>/`.
    pub requester_url: &'a str,
    /// The maker's desk.
    pub maker_url: &'a str,
    keys: &'a [PathBuf; 2],
}

impl TwoDesks<'_> {
    /// A signed Kalshi REST client straight to the exchange as `who` (`"requester"` or
    /// `"maker"`), for test setup the UI need not do (say, the first 100 RFQs). Its rate
    /// budget is generous (1000 a second): it is not the desk's.
    pub fn exchange_client(
        &self,
        who: &str,
    ) -> anyhow::Result<desk_backend::kalshi::client::KalshiClient> {
        use desk_backend::kalshi::ratelimit::{AccountLimits, BucketLimit};
        let path = match who {
            "requester" => &self.keys[0],
            "maker" => &self.keys[1],
            other => bail!("no key for {other:?}: requester or maker"),
        };
        let signer = desk_backend::kalshi::signer::Signer::from_pem_file(who, path)
            .with_context(|| format!("loading the {who} key"))?;
        let client = desk_backend::kalshi::client::KalshiClient::new(
            &format!("http://127.0.0.1:{}/trade-api/v2", self.sim.port()),
            signer,
        )?;
        let fast = BucketLimit {
            refill_rate: 1000,
            bucket_capacity: 1000,
        };
        client.budget().set_limits(&AccountLimits {
            usage_tier: "test".to_owned(),
            read: fast,
            write: fast,
        });
        Ok(client)
    }
}

/// As [`run_in_browser`], for two parties: starts one exchange, two desks on it and two
/// Chromium sessions (requester, maker), runs `body`, and always closes both sessions.
pub async fn run_two_desks<F>(name: &str, body: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(TwoDesks<'_>) -> anyhow::Result<()>,
{
    let _slot = ONE_BROWSER_AT_A_TIME.lock().await;
    let keys = tempfile::tempdir().context("key dir")?;
    let made = ["requester.pem", "maker.pem"].map(|n| {
        let key = TestKey::rsa();
        (key.write(keys.path(), n), key.sim_public_key())
    });
    let paths = made.clone().map(|(path, _)| path);
    let public = made.map(|(_, public)| public);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = kalshi_sim::SimExchange::start(
        kalshi_sim::SimConfig {
            keys: vec![
                ("requester".into(), public[0].clone()),
                ("maker".into(), public[1].clone()),
            ],
            flow_per_sec: 5,
            seed: 11,
            starting_balance: kalshi_sim::STANDALONE_STARTING_BALANCE,
            max_clock_skew_ms: kalshi_sim::DEFAULT_MAX_CLOCK_SKEW_MS,
            usage_tier: kalshi_sim::UsageTier::BASIC,
            markets: 0,
        },
        listener,
    )
    .await?;
    sim.set_rfq_participants(false);
    let mut urls = Vec::new();
    let mut stops = Vec::new();
    for (id, path) in [("requester", &paths[0]), ("maker", &paths[1])] {
        let mut config = desk_backend::Config::for_tests(dist_dir()?);
        config.api_key_id = Some(id.to_owned());
        config.private_key_path = Some(path.clone());
        config.rest_url = Some(format!("http://127.0.0.1:{}/trade-api/v2", sim.port()));
        config.ws_url = Some(format!("ws://127.0.0.1:{}/trade-api/ws/v2", sim.port()));
        let app = desk_backend::Application::build(config)
            .await
            .with_context(|| format!("building the {id} desk"))?;
        add_user(&app.store(), E2E_USER, shared::auth::Role::Admin).await?;
        urls.push(format!("http://127.0.0.1:{}/", app.port()));
        stops.push(app.shutdown_token());
        tokio::spawn(app.run_until_stopped());
    }
    eprintln!(
        "[{name}] requester at {}, maker at {}, exchange on port {}",
        urls[0],
        urls[1],
        sim.port()
    );
    let driver = ChromeDriver::start(name).await?;
    let (requester, maker) = open_pair(&driver, name, ["requester", "maker"]).await?;
    let outcome = AssertUnwindSafe(async {
        requester.log_in(&urls[0], E2E_USER).await?;
        maker.log_in(&urls[1], E2E_USER).await?;
        body(TwoDesks {
            sim: &sim,
            requester: &requester,
            maker: &maker,
            requester_url: &urls[0],
            maker_url: &urls[1],
            keys: &paths,
        })
        .await
    })
    .catch_unwind()
    .await
    .unwrap_or_else(|panic| {
        Err(anyhow!(
            "the test panicked: {}",
            panic_message(panic.as_ref())
        ))
    });
    if let Err(err) = &outcome {
        eprintln!("[{name}] FAILED: {err:#}");
        requester.dump_failure().await;
        maker.dump_failure().await;
    }
    let closed = (requester.close().await, maker.close().await);
    drop(driver);
    for s in stops {
        s.cancel();
    }
    sim.shutdown();
    outcome?;
    closed.0?;
    closed.1
}

/// Two Chromium sessions, `{name}-{parties[0]}` and `{name}-{parties[1]}`; the first is
/// closed again when the second does not open.
async fn open_pair(
    driver: &ChromeDriver,
    name: &str,
    parties: [&str; 2],
) -> anyhow::Result<(Browser, Browser)> {
    let first = Browser::open(driver, &format!("{name}-{}", parties[0])).await?;
    match Browser::open(driver, &format!("{name}-{}", parties[1])).await {
        Ok(second) => Ok((first, second)),
        Err(e) => {
            let _ = first.close().await;
            Err(e)
        }
    }
}

/// Two replicas of one desk for [`run_on_two_replicas`]: the exchange they share and a
/// logged-in Chromium session on each.
pub struct TwoReplicas<'a> {
    /// The built-in exchange both trade on (through one upstream socket).
    pub sim: &'a kalshi_sim::SimExchange,
    /// A browser on the first replica (the leader at start).
    pub first: &'a Browser,
    /// A browser on the second replica.
    pub second: &'a Browser,
}

/// Starts a private `nats-server -js`, one exchange and two replicas of one desk in cluster
/// mode on a fresh PostgreSQL schema (the first elected leader before the second starts),
/// opens one Chromium session on each, runs `body`, and always closes both sessions.
pub async fn run_on_two_replicas<F>(name: &str, body: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(TwoReplicas<'_>) -> anyhow::Result<()>,
{
    use crate::desk::Replica;
    use crate::services::{NatsServer, PgSchema};
    let _slot = ONE_BROWSER_AT_A_TIME.lock().await;
    let nats = NatsServer::start()?;
    let schema = PgSchema::create().await;
    let keys = tempfile::tempdir().context("key dir")?;
    let key = TestKey::rsa();
    let key_path = key.write(keys.path(), "desk.pem");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = kalshi_sim::SimExchange::start(
        kalshi_sim::SimConfig {
            keys: vec![("cluster".into(), key.sim_public_key())],
            flow_per_sec: 0,
            seed: 13,
            starting_balance: kalshi_sim::STANDALONE_STARTING_BALANCE,
            max_clock_skew_ms: kalshi_sim::DEFAULT_MAX_CLOCK_SKEW_MS,
            usage_tier: kalshi_sim::UsageTier::BASIC,
            markets: 0,
        },
        listener,
    )
    .await?;
    let config = |replica: &str| -> anyhow::Result<desk_backend::Config> {
        let mut c = desk_backend::Config::for_tests(dist_dir()?);
        c.api_key_id = Some("cluster".to_owned());
        c.private_key_path = Some(key_path.clone());
        c.rest_url = Some(format!("http://127.0.0.1:{}/trade-api/v2", sim.port()));
        c.ws_url = Some(format!("ws://127.0.0.1:{}/trade-api/ws/v2", sim.port()));
        c.team.db_url = secrecy::SecretString::from(schema.url.clone());
        c.cluster.nats_url = Some(nats.url.clone().into());
        c.cluster.replica_id = Some(replica.to_owned());
        Ok(c)
    };
    let first = Replica::start(config("r1")?).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !first.is_leader() {
        ensure!(
            Instant::now() < deadline,
            "the first replica was not elected within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = Replica::start(config("r2")?).await?;
    add_user(&first.store, E2E_USER, shared::auth::Role::Admin).await?;
    let urls = [
        format!("http://127.0.0.1:{}/", first.port),
        format!("http://127.0.0.1:{}/", second.port),
    ];
    eprintln!(
        "[{name}] replicas at {} and {}, exchange on port {}",
        urls[0],
        urls[1],
        sim.port()
    );
    let driver = ChromeDriver::start(name).await?;
    let (one, two) = open_pair(&driver, name, ["r1", "r2"]).await?;
    let outcome = AssertUnwindSafe(async {
        one.log_in(&urls[0], E2E_USER).await?;
        two.log_in(&urls[1], E2E_USER).await?;
        body(TwoReplicas {
            sim: &sim,
            first: &one,
            second: &two,
        })
        .await
    })
    .catch_unwind()
    .await
    .unwrap_or_else(|panic| {
        Err(anyhow!(
            "the test panicked: {}",
            panic_message(panic.as_ref())
        ))
    });
    if let Err(err) = &outcome {
        eprintln!("[{name}] FAILED: {err:#}");
        one.dump_failure().await;
        two.dump_failure().await;
    }
    let closed = (one.close().await, two.close().await);
    drop(driver);
    drop((first, second));
    sim.shutdown();
    outcome?;
    closed.0?;
    closed.1
}

impl Browser {
    /// Every level the ladder shows, as `side|price|count`, in page order.
    pub async fn ladder_levels(&self) -> anyhow::Result<Vec<String>> {
        let value = self
            .client()
            .execute(
                "return [...document.querySelectorAll('[data-testid=ladder-level]')]\
                 .map(e => `${e.dataset.side}|${e.dataset.price}|${e.dataset.count}`);",
                Vec::new(),
            )
            .await
            .context("reading the ladder")?;
        Ok(serde_json::from_value(value).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_and_print_exactly() {
        let cases = [
            ("0.4500", 4500, "0.4500", "0.45"),
            ("0.45", 4500, "0.4500", "0.45"),
            ("$0.0100", 100, "0.0100", "0.01"),
            (" 1 ", 10_000, "1.0000", "1.00"),
            ("0.4537", 4537, "0.4537", "0.45"),
            ("56¢", 5600, "0.5600", "0.56"),
            ("5.6¢", 560, "0.0560", "0.05"),
            ("0.25¢", 25, "0.0025", "0.00"),
        ];
        for (text, value, four, two) in cases {
            let price = Price::parse(text).unwrap();
            assert_eq!(price.ten_thousandths(), value, "{text}");
            assert_eq!(price.to_string(), four, "{text}");
            assert_eq!(price.two_decimals(), two, "{text}");
        }
        for bad in [
            "", "—", "0.12345", "abc", "-0.10", "0,45", ".", "¢", "5.678¢",
        ] {
            assert!(Price::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn cents_below_rounds_down_and_stops_at_one_cent() {
        let p = |s| Price::parse(s).unwrap();
        assert_eq!(p("0.4500").cents_below(5), Some(p("0.40")));
        assert_eq!(p("0.4537").cents_below(5), Some(p("0.40")));
        assert_eq!(p("0.0600").cents_below(5), Some(p("0.01")));
        assert_eq!(p("0.0599").cents_below(5), None);
        assert_eq!(p("0.0300").cents_below(5), None);
    }

    #[test]
    fn selectors_are_testid_based() {
        assert_eq!(testid("ladder"), r#"[data-testid="ladder"]"#);
        assert_eq!(
            sel(
                "ladder-level",
                &[("data-side", "yes"), ("data-price", "0.4000")]
            ),
            r#"[data-testid="ladder-level"][data-side="yes"][data-price="0.4000"]"#
        );
    }
}
