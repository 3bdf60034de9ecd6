//! A headless Chromium driven through ChromeDriver's WebDriver protocol (W3C: a few JSON calls
//! over loopback HTTP), for the cashier page and dashboard tests.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The WebDriver element reference key (W3C).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    profile: std::path::PathBuf,
}

/// Where Chromium and ChromeDriver are (Debian's packages by default).
fn binaries() -> (String, String) {
    (
        std::env::var("PAYSPEC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        std::env::var("PAYSPEC_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
    )
}

impl Browser {
    /// Starts ChromeDriver on a free loopback port and opens a headless session. `Err` says why
    /// it could not (binaries missing, driver not answering).
    pub fn start() -> Result<Browser, String> {
        let (chromium, chromedriver) = binaries();
        for path in [&chromium, &chromedriver] {
            if !std::path::Path::new(path).exists() {
                return Err(format!("{path} is missing (scripts/install-deps.sh installs Debian's chromium and chromium-driver)"));
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {chromedriver}: {e}"))?;
        let agent = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        let profile =
            std::env::temp_dir().join(format!("payspec-chromium-{}-{port}", std::process::id()));
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            agent,
            profile,
        };
        let end = Instant::now() + Duration::from_secs(15);
        while browser.call("GET", "/status", None).is_err() {
            if Instant::now() > end {
                return Err("chromedriver did not answer within 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", browser.profile.display()),
                ]
            }
        }}});
        let created = browser.call("POST", "/session", Some(caps))?;
        browser.session = created["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {created}"))?
            .to_owned();
        Ok(browser)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let mut response = response.map_err(|e| e.to_string())?;
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if response.status().is_success() {
            Ok(value["value"].clone())
        } else {
            Err(format!("{method} {path}: {}", value["value"]))
        }
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.call(
            "POST",
            &self.session_path("/url"),
            Some(json!({ "url": url })),
        )
        .map(|_| ())
    }

    pub fn click(&self, css: &str) -> Result<(), String> {
        let found = self.call(
            "POST",
            &self.session_path("/element"),
            Some(json!({"using": "css selector", "value": css})),
        )?;
        let id = found[ELEMENT]
            .as_str()
            .ok_or_else(|| format!("no element {css}"))?
            .to_owned();
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/click")),
            None,
        )
        .map(|_| ())
    }

    pub fn text(&self, css: &str) -> Result<String, String> {
        let found = self.call(
            "POST",
            &self.session_path("/element"),
            Some(json!({"using": "css selector", "value": css})),
        )?;
        let id = found[ELEMENT]
            .as_str()
            .ok_or_else(|| format!("no element {css}"))?
            .to_owned();
        self.call(
            "GET",
            &self.session_path(&format!("/element/{id}/text")),
            None,
        )
        .map(|v| v.as_str().unwrap_or_default().to_owned())
    }

    /// The text of `css` once it is `want` (a click's navigation may still be loading), or
    /// whatever it is after five seconds.
    pub fn wait_for_text(&self, css: &str, want: &str) -> String {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let got = self.text(css).unwrap_or_default();
            if got == want || Instant::now() > end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn source(&self) -> Result<String, String> {
        self.call("GET", &self.session_path("/source"), None)
            .map(|v| v.as_str().unwrap_or_default().to_owned())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &self.session_path(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
