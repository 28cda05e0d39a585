//! Serving the built frontend under a strict CSP.
//!
//! trunk writes a small inline `<script type="module">` loader into `index.html`. The
//! desk's CSP allows no inline script, so at start-up the loader is moved into its own
//! file, `/loader-<sha256>.js`, and `index.html` refers to it; everything else in `dist/`
//! is served as built.

use std::path::Path;
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// `index.html` and its extracted loader, held in memory.
#[derive(Clone, Debug)]
pub struct IndexPage {
    html: Arc<str>,
    loader_path: Arc<str>,
    loader: Arc<str>,
}

const OPEN: &str = "<script type=\"module\">";
const CLOSE: &str = "</script>";

impl IndexPage {
    /// Reads `dist/index.html` and moves its inline module loader out. A missing file
    /// gives a page that says how to build the frontend.
    pub fn load(dist: &Path) -> IndexPage {
        match std::fs::read_to_string(dist.join("index.html")) {
            Ok(html) => IndexPage::from_html(&html),
            Err(_) => IndexPage {
                html: "<!doctype html><title>Kalshi Desk</title><p>The frontend is not built: run <code>bash scripts/run.sh</code>.</p>".into(),
                loader_path: "/loader.js".into(),
                loader: "".into(),
            },
        }
    }

    /// Splits trunk's inline loader out of `html`.
    pub fn from_html(html: &str) -> IndexPage {
        let Some(start) = html.find(OPEN) else {
            return IndexPage {
                html: html.into(),
                loader_path: "/loader.js".into(),
                loader: "".into(),
            };
        };
        let body_start = start + OPEN.len();
        let Some(len) = html[body_start..].find(CLOSE) else {
            return IndexPage {
                html: html.into(),
                loader_path: "/loader.js".into(),
                loader: "".into(),
            };
        };
        let loader = &html[body_start..body_start + len];
        let digest = Sha256::digest(loader.as_bytes());
        let tag: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let loader_path = format!("/loader-{tag}.js");
        let page = format!(
            "{}<script type=\"module\" src=\"{loader_path}\"></script>{}",
            &html[..start],
            &html[body_start + len + CLOSE.len()..]
        );
        IndexPage {
            html: page.into(),
            loader_path: loader_path.into(),
            loader: loader.into(),
        }
    }

    /// The path the loader is served at.
    pub fn loader_path(&self) -> &str {
        &self.loader_path
    }

    /// `index.html` with the loader moved out.
    pub fn html_response(&self) -> Response {
        let mut resp = (StatusCode::OK, self.html.to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        resp
    }

    /// The loader script.
    pub fn loader_response(&self) -> Response {
        let mut resp = (StatusCode::OK, self.loader.to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        );
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_loader_moves_to_its_own_file() {
        let page = IndexPage::from_html(
            "<head><script type=\"module\">import init from '/a.js';</script><link></head>",
        );
        assert!(page.loader_path().starts_with("/loader-") && page.loader_path().ends_with(".js"));
        assert_eq!(&*page.loader, "import init from '/a.js';");
        assert!(!page.html.contains("import init"));
        assert!(page.html.contains(&format!(
            "<script type=\"module\" src=\"{}\"></script><link>",
            page.loader_path()
        )));
    }
}
