//! A first start is one step: `kalshi-desk serve` on a fresh database prints a login link
//! carrying the one-time bootstrap token, the link's token creates the first admin (once),
//! and the start-up log on the built-in exchange has no warnings.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::dist_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_desk_prints_a_login_link_whose_token_makes_the_first_admin_once() {
    let dist = dist_dir();
    assert!(
        dist.join("index.html").exists(),
        "dist/ is missing: build the frontend first (the README's test command does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("desk.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kalshi-desk"))
        .args(["serve", "--port", "0", "--sim-flow", "0"])
        .arg("--dist")
        .arg(&dist)
        .env("DESK_DB_URL", &db_url)
        .env_remove("RUST_LOG")
        .env_remove("KALSHI_ENV")
        .env_remove("KALSHI_API_KEY_ID")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the desk binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (link_tx, link_rx) = std::sync::mpsc::channel();
    let out_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(link) = line.split_whitespace().find(|w| w.contains("?token=")) {
                let _ = link_tx.send(link.to_owned());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let err_reader = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all);
        all
    });
    let link = link_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a fresh desk prints a login link");
    let (base, token) = link
        .split_once("/?token=")
        .expect("http://HOST:PORT/?token=…");
    assert!(base.starts_with("http://127.0.0.1:"), "{link}");

    let http = reqwest::Client::new();
    // The link itself opens the page (the token stays in the browser: a query, never a path).
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let bootstrap = |token: String| {
        let (http, url) = (http.clone(), format!("{base}/api/bootstrap"));
        async move {
            http.post(url)
                .json(&serde_json::json!({
                    "token": token,
                    "username": "first",
                    "password": "first-admin-password",
                }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        bootstrap(token.to_owned()).await,
        200,
        "the link's token works"
    );
    assert_eq!(bootstrap(token.to_owned()).await, 403, "and only once");

    // Let the desk settle (the upstream goes live), then stop it and read its log.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = child.kill();
    let _ = child.wait();
    let out = out_reader.join().unwrap();
    let log = err_reader.join().unwrap();
    assert!(out.contains("Kalshi Desk is running"), "{out}");
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .collect();
    assert!(
        warnings.is_empty(),
        "the start-up log on the built-in exchange has warnings:\n{}",
        warnings.join("\n")
    );
    assert!(!log.contains(token), "the token reached the log");
}
