//! Serving the built frontend under a strict CSP.
//!
//! trunk writes a small inline `<script type="module">` loader into `index.html`. The
//! desk's CSP allows no inline script, so at start-up the loader is moved into its own
//! file, `/loader-<sha256>.js`, and `index.html` refers to it; everything else in `dist/`
//! is served as built.
//!
//! Caching: trunk names every file it writes beside `index.html` with a hash of its
//! content, so those (and the loader, named by its own hash) are served
//! `Cache-Control: public, max-age=31536000, immutable`; `index.html` is `no-cache`, so a
//! new build is picked up on the next load. [`precompress`] writes brotli and gzip forms
//! beside the wasm, JavaScript and CSS, which are served to browsers that accept them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// `Cache-Control` of content-hashed files.
pub const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// What [`precompress`] compresses: the files a cold load fetches, by suffix.
const COMPRESSIBLE: &[&str] = &[".wasm", ".js", ".css"];

/// Writes `NAME.br` (brotli, quality 11) and `NAME.gz` (gzip, level 9) beside each wasm,
/// JavaScript and CSS file directly in `dist`; returns the files written. Run after each
/// `trunk build` (`kalshi-desk precompress`); the desk serves a compressed form only while
/// it exists, so a build without this step is still served, uncompressed.
///
/// # Errors
/// Reading `dist` or a file in it, or writing beside it.
pub fn precompress(dist: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !path.is_file() || !COMPRESSIBLE.iter().any(|s| name.ends_with(s)) {
            continue;
        }
        let raw = std::fs::read(&path)?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut raw.as_slice(), &mut br, &params)?;
        let br_path = path.with_file_name(format!("{name}.br"));
        std::fs::write(&br_path, br)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&raw)?;
        let gz_path = path.with_file_name(format!("{name}.gz"));
        std::fs::write(&gz_path, gz.finish()?)?;
        written.extend([br_path, gz_path]);
    }
    written.sort();
    Ok(written)
}

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
        resp.headers_mut().insert(header::CACHE_CONTROL, IMMUTABLE);
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
