//! Nothing the desk serves or logs carries its private key, a password, a password hash
//! or a session token: every page, API answer (good and bad requests, logged in), socket
//! frame, file in `dist/`, the CLI's output, and the process's own log.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::dist_dir;

/// Substrings that would betray the key: every 32-character window of its PEM body
/// lines (PKCS#8 and PKCS#1 encodings), and the PEM armour.
fn key_fingerprints(pems: &[String]) -> Vec<String> {
    let mut out = vec!["PRIVATE KEY".to_owned()];
    for pem in pems {
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            let bytes = line.as_bytes();
            for start in (0..bytes.len().saturating_sub(32)).step_by(16) {
                out.push(String::from_utf8_lossy(&bytes[start..start + 32]).into_owned());
            }
        }
    }
    out
}

fn assert_clean(what: &str, body: &str, fingerprints: &[String]) {
    for f in fingerprints {
        assert!(
            !body.contains(f.as_str()),
            "{what} contains key material ({f:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_api_answer_socket_frame_dist_file_or_log_line_contains_the_private_key() {
    let dist = dist_dir();
    assert!(
        dist.join("index.html").exists(),
        "dist/ is missing: build the frontend first (the README's test command does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let test_key = desk_testkit::TestKey::rsa();
    let key = test_key.write(dir.path(), "key.pem");
    let pkcs8 = test_key.private_pem();
    let pkcs1 = test_key
        .private_pem_pkcs1()
        .expect("an RSA key has a PKCS#1 form");
    let mut fingerprints = key_fingerprints(&[pkcs8, pkcs1]);

    // The first admin, through the CLI (password from the environment).
    let db_url = format!("sqlite://{}", dir.path().join("desk.db").display());
    let password = "leak-test-password-7f3a91";
    let added = Command::new(env!("CARGO_BIN_EXE_kalshi-desk"))
        .args(["user", "add", "--username", "boss", "--role", "admin"])
        .env("DESK_DB_URL", &db_url)
        .env("DESK_USER_PASSWORD", password)
        .output()
        .expect("kalshi-desk user add runs");
    assert!(
        added.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let cli_out = String::from_utf8_lossy(&added.stdout).into_owned()
        + &String::from_utf8_lossy(&added.stderr);
    assert!(cli_out.contains("added user boss"), "{cli_out}");
    let hash = {
        let store = desk_backend::team::store::Store::connect(&db_url)
            .await
            .unwrap();
        let (_, hash) = store.user_with_hash("boss").await.unwrap().unwrap();
        store.close().await;
        hash
    };
    assert!(hash.starts_with("$argon2"), "stored as an argon2 hash");
    // Neither the password nor any part of its hash (salt, digest) may show up.
    fingerprints.push(password.to_owned());
    fingerprints.push("$argon2".to_owned());
    fingerprints.extend(hash.rsplit('$').take(2).map(str::to_owned));
    assert_clean("user add output", &cli_out, &fingerprints);

    let mut child = Command::new(env!("CARGO_BIN_EXE_kalshi-desk"))
        .args([
            "serve",
            "--port",
            "0",
            "--env",
            "sim",
            "--api-key-id",
            "leak-test",
        ])
        .arg("--private-key-path")
        .arg(&key)
        .arg("--dist")
        .arg(&dist)
        .env("RUST_LOG", "debug")
        .env("DESK_DB_URL", &db_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the desk binary starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // The first stdout line names the URL.
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    let out_reader = std::thread::spawn(move || {
        let mut all = String::new();
        let mut buf = [0u8; 4096];
        let mut sent = false;
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    all.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if !sent && all.contains('\n') {
                        let _ = line_tx.send(all.clone());
                        sent = true;
                    }
                }
            }
        }
        all
    });
    let err_reader = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all);
        all
    });
    let first = line_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the desk prints its URL");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL in the first line")
        .trim_end_matches('/')
        .to_owned();

    let result = async {
        let anonymous = reqwest::Client::new();
        let mut bodies = Vec::new();
        // Wrong password, then the right one.
        let bad = anonymous
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({"username": "boss", "password": "not-it-at-all"}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 401);
        bodies.push(("bad login".into(), bad.text().await.unwrap_or_default()));
        let login = anonymous
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({"username": "boss", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status().as_u16(), 200);
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let session: serde_json::Value = login.json().await.unwrap();
        let csrf = session["csrf_token"].as_str().unwrap().to_owned();
        bodies.push(("login".into(), session.to_string()));
        let token = cookie.split_once('=').unwrap().1.to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", cookie.parse().unwrap());
        headers.insert("x-csrf-token", csrf.parse().unwrap());
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap();
        let mut paths: Vec<String> = vec![
            "/".into(),
            "/index.html".into(),
            "/no/such/page".into(),
            "/api/status".into(),
            "/api/markets".into(),
            "/api/orders".into(),
            "/api/portfolio".into(),
            "/api/fills".into(),
            "/api/markets/NOPE-NOT-A-MARKET".into(),
            "/api/markets/bad%20ticker".into(),
            "/api/nothing-here".into(),
            "/api/session".into(),
            "/api/users".into(),
            "/api/audit".into(),
            "/api/audit.csv".into(),
            "/trade-api/v2/portfolio/balance".into(),
        ];
        for entry in walk(&dist) {
            let rel = entry
                .strip_prefix(&dist)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            paths.push(format!("/{rel}"));
            bodies.push((
                format!("dist file {rel}"),
                String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned(),
            ));
        }
        for path in &paths {
            let resp = http
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("desk answers");
            bodies.push((format!("GET {path}"), resp.text().await.unwrap_or_default()));
        }
        let bad_posts = [
            ("/api/orders", "{not json"),
            (
                "/api/orders",
                r#"{"market_ticker":"X","action":"buy","side":"yes","price":"2","count":"1"}"#,
            ),
        ];
        for (path, body) in bad_posts {
            let resp = http
                .post(format!("{base}{path}"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            bodies.push((
                format!("POST {path}"),
                resp.text().await.unwrap_or_default(),
            ));
        }
        let resp = http
            .delete(format!("{base}/api/orders/no-such-order"))
            .send()
            .await
            .unwrap();
        bodies.push(("DELETE order".into(), resp.text().await.unwrap_or_default()));
        let ws_url = base.replacen("http://", "ws://", 1) + "/ws";
        let mut ws_req =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(ws_url)
                .unwrap();
        ws_req
            .headers_mut()
            .insert("cookie", cookie.parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(ws_req).await.expect("ws");
        let markets: serde_json::Value = http
            .get(format!("{base}/api/markets"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ticker = markets["markets"][0]["ticker"]
            .as_str()
            .unwrap_or("X")
            .to_owned();
        ws.send(Message::text(format!(
            r#"{{"op":"watch","market_ticker":"{ticker}"}}"#
        )))
        .await
        .unwrap();
        ws.send(Message::text("nonsense")).await.unwrap();
        let end = tokio::time::Instant::now() + Duration::from_secs(3);
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(end, ws.next()).await {
            if let Message::Text(t) = msg {
                bodies.push(("ws frame".into(), t.to_string()));
            }
        }
        (bodies, token)
    }
    .await;
    let (result, token) = result;

    let _ = child.kill();
    let _ = child.wait();
    let log_out = out_reader.join().unwrap();
    let log_err = err_reader.join().unwrap();
    assert!(
        log_err.contains("BUILT-IN SIMULATED EXCHANGE")
            || log_out.contains("BUILT-IN SIMULATED EXCHANGE"),
        "the log says it is simulated"
    );
    assert!(result.len() > 15);
    for (what, body) in &result {
        assert_clean(what, body, &fingerprints);
    }
    // Session tokens appear in no log line either.
    fingerprints.push(token);
    assert_clean("stdout", &log_out, &fingerprints);
    assert_clean("stderr log", &log_err, &fingerprints);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
