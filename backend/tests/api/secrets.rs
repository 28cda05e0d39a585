//! Nothing the desk serves or logs carries its private key: every page, API answer
//! (good and bad requests), socket frame, file in `dist/`, and the process's own log.

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
    let key = dir.path().join("key.pem");
    let status = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let pkcs8 = std::fs::read_to_string(&key).unwrap();
    let pkcs1 = String::from_utf8(
        Command::new("openssl")
            .args(["rsa", "-traditional", "-in"])
            .arg(&key)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let fingerprints = key_fingerprints(&[pkcs8, pkcs1]);

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
        let http = reqwest::Client::new();
        let mut bodies = Vec::new();
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
        let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.expect("ws");
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
        bodies
    }
    .await;

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
