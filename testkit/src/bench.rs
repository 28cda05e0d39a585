//! Helpers the benchmarks share: percentiles, the machine's facts, and the results file
//! each benchmark writes under `bench-results/` (never a timed test).

#![allow(
    clippy::float_arithmetic,
    reason = "memory and signing rates are measurements, not money"
)]

use std::path::PathBuf;

use serde_json::{json, Value};

/// Nearest-rank percentile `pct` (0–100) of `sorted` (ascending); 0 for no values.
pub fn percentile(sorted: &[u64], pct: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * pct).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// n, p50, p90, p95, p99, max and mean of `values` (any unit; the keys carry `unit`, such as
/// `"us"` → `p50_us`).
pub fn summary(mut values: Vec<u64>, unit: &str) -> Value {
    values.sort_unstable();
    let mean = match u64::try_from(values.len()) {
        Ok(n) if n > 0 => values.iter().sum::<u64>() / n,
        _ => 0,
    };
    let mut out = serde_json::Map::new();
    out.insert("n".into(), json!(values.len()));
    for p in [50, 90, 95, 99] {
        out.insert(format!("p{p}_{unit}"), json!(percentile(&values, p)));
    }
    out.insert(
        format!("max_{unit}"),
        json!(values.last().copied().unwrap_or(0)),
    );
    out.insert(format!("mean_{unit}"), json!(mean));
    Value::Object(out)
}

/// `name` from the environment as a number, else `default` (a benchmark's knobs).
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time this process has used so far, user plus system, every thread, in seconds
/// (`/proc/self/stat`, clock-tick resolution: 10 ms at the usual 100 Hz); `None` off Linux.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at its closing paren.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// This process's resident memory in MiB (`VmRSS`), `None` off Linux.
pub fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// RSA-2048 signatures per second by `openssl speed` on this machine (the yardstick the
/// desk's signer is compared with), `None` when the command is missing.
pub fn openssl_rsa2048_sign_per_sec() -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000712s 0.000021s   1404.5  47619.0"
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("rsa 2048"))?;
    line.split_whitespace().nth(5)?.parse().ok()
}

/// The machine a result was measured on: CPUs and the kernel.
pub fn machine() -> Value {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .ok();
    json!({ "cpus": cpus, "kernel": kernel })
}

/// Runs a benchmark: `body` on a two-thread runtime, then its result written (and printed)
/// as `bench-results/<name>.json` with `what` it measured, the machine and the seconds it
/// took.
///
/// # Panics
/// When the runtime cannot start or the file cannot be written.
pub fn run<F>(name: &str, what: &str, body: F)
where
    F: std::future::Future<Output = Value>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = std::time::Instant::now();
    let result = rt.block_on(body);
    let results = serde_json::json!({
        "what": what,
        "machine": machine(),
        "seconds": started.elapsed().as_secs(),
        "result": result,
    });
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&results).unwrap_or_default()
    );
    write_results(name, &results);
}

/// The repository's `bench-results/` folder.
pub fn results_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("bench-results")
}

/// Writes `results` as pretty JSON to `bench-results/<name>.json` and says where.
///
/// # Panics
/// When the file cannot be written (a benchmark without its results is no benchmark).
pub fn write_results(name: &str, results: &Value) -> PathBuf {
    let dir = results_dir();
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(results).unwrap_or_default();
    std::fs::write(&path, text + "\n")
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    eprintln!("wrote {}", path.display());
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), 50);
        assert_eq!(percentile(&v, 99), 99);
        assert_eq!(percentile(&v, 100), 100);
        assert_eq!(percentile(&[7], 1), 7);
        assert_eq!(percentile(&[], 50), 0);
        let s = summary(vec![3, 1, 2], "us");
        assert_eq!(s["n"], 3);
        assert_eq!(s["p50_us"], 2);
        assert_eq!(s["max_us"], 3);
        assert_eq!(s["mean_us"], 2);
    }
}
