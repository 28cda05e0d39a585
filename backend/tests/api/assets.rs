//! The built frontend on the wire: trunk's content-hashed files served precompressed
//! (brotli or gzip, as the browser accepts) and `immutable`; `index.html`, and every client
//! route that falls back to it, `no-cache`.

use std::io::Read as _;

use crate::helpers::spawn_app_with;

const WASM: &str = "desk-frontend-0123456789abcdef_bg.wasm";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_served_precompressed_and_immutable_and_the_index_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let wasm: Vec<u8> = (0..200_000u32)
        .map(|i| u8::try_from((i % 251) ^ (i / 4096)).unwrap_or(0))
        .collect();
    std::fs::write(dir.path().join(WASM), &wasm).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>desk</title><script type=\"module\">import init from '/x.js';</script>",
    )
    .unwrap();
    let written = desk_backend::http::frontend::precompress(dir.path()).unwrap();
    assert_eq!(written.len(), 2, "{written:?}");

    let dist = dir.path().to_path_buf();
    let app = spawn_app_with(move |c| {
        c.dist = dist;
        c.sim_flow = 0;
    })
    .await;
    let http = reqwest::Client::new();
    let get = |path: &str, accept: Option<&'static str>| {
        let mut req = http.get(format!("http://127.0.0.1:{}{path}", app.port));
        if let Some(accept) = accept {
            req = req.header("accept-encoding", accept);
        }
        req.send()
    };
    let header = |resp: &reqwest::Response, name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let immutable = Some("public, max-age=31536000, immutable".to_owned());

    for (accept, encoding) in [
        (Some("br, gzip"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (None, None),
    ] {
        let resp = get(&format!("/{WASM}"), accept).await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(header(&resp, "cache-control"), immutable, "{accept:?}");
        assert_eq!(
            header(&resp, "content-type").as_deref(),
            Some("application/wasm")
        );
        assert_eq!(header(&resp, "content-encoding").as_deref(), encoding);
        let body = resp.bytes().await.unwrap();
        let mut plain = Vec::new();
        match encoding {
            Some("br") => {
                assert!(body.len() < wasm.len() / 4, "{} bytes", body.len());
                brotli::BrotliDecompress(&mut body.as_ref(), &mut plain).unwrap();
            }
            Some(_) => {
                assert!(body.len() < wasm.len() / 4, "{} bytes", body.len());
                flate2::read::GzDecoder::new(body.as_ref())
                    .read_to_end(&mut plain)
                    .unwrap();
            }
            None => plain = body.to_vec(),
        }
        assert!(plain == wasm, "{accept:?}: the same bytes once decoded");
    }

    for path in ["/", "/index.html", "/markets/KXDESK-26DEC31-T50"] {
        let resp = get(path, Some("br, gzip")).await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        assert_eq!(
            header(&resp, "cache-control").as_deref(),
            Some("no-cache"),
            "{path}"
        );
        assert!(resp.text().await.unwrap().contains("<title>desk</title>"));
    }
}
