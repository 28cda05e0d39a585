//! The desk in real headless Chromium, one test binary: each module is one part of the
//! desk, driven through the page as a trader would, against the built-in exchange (the
//! harness is `desk_testkit::e2e`). Sessions take turns: one browser at a time.
//!
//! Needs `dist/`, `chromedriver` and `chromium` (and for `cluster`, `nats-server` and
//! PostgreSQL); `bash scripts/test.sh` sets all of them up.

mod alerts;
mod cluster;
mod groups;
mod market;
mod orders;
mod portfolio;
mod rfq;
mod team;
mod workspace;
