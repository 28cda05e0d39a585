//! Chromium traces for the benchmarks: how busy the page's main thread was, from Chromium's own
//! trace events rather than from what the page can observe of itself.
//!
//! A session opened with [`TRACE_CATEGORIES`] ([`crate::e2e::Browser::open_traced`]) has
//! chromedriver record a trace from its start (`goog:loggingPrefs` `performance`,
//! `perfLoggingPrefs.traceCategories`); reading the `performance` log
//! ([`crate::e2e::Browser::trace_events`], defined here) ends the trace and hands over its events. The page
//! marks the windows to measure with `console.timeStamp(name)` ([`mark`]), which the trace
//! records as `TimeStamp` events on the main thread, so one read at the end serves several
//! windows. (chromedriver restarts the trace after a read, but a read soon after the restart
//! came back empty here: one read is the dependable use.)
//!
//! [`main_thread_busy`] turns a window's events into busy time: the renderer main thread's
//! top-level tasks (`toplevel` `RunTask` events, complete events with a duration in µs) as a
//! union of intervals, and within them the outermost `devtools.timeline` events by kind
//! (script, style and layout, paint, parsing), as DevTools' Performance panel sorts them.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, ensure, Context as _};
use serde::Serialize;
use serde_json::Value;

/// The trace categories a traced session records: top-level tasks, the DevTools timeline's
/// events (scripts, style, layout, paint) and the thread names (`__metadata`, always on).
pub const TRACE_CATEGORIES: &str = "toplevel,devtools.timeline";

/// The renderer main thread's busy time over a traced window. All times in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct MainThreadBusy {
    /// Length of the window (mark to mark), ms.
    pub window_ms: u64,
    /// `toplevel` events on the main thread in the window (the tasks and what they dispatch:
    /// mojo messages, microtask checkpoints), nested ones included.
    pub tasks: u64,
    /// Time the main thread ran tasks (their union), ms.
    pub busy_ms: u64,
    /// `busy_ms` per second of window, ms.
    pub busy_ms_per_sec: u64,
    /// The longest single task, ms (tenths rounded down to whole ms).
    pub longest_task_ms: u64,
    /// Outermost timeline events by kind (`script`, `style_layout`, `paint`, `parse`,
    /// `other`), ms per second of window; what tasks spent besides these is task overhead
    /// (scheduling, IPC, the socket's message dispatch before script runs).
    pub by_kind_ms_per_sec: BTreeMap<&'static str, u64>,
    /// The ten outermost timeline event names with the most time, ms per second of window.
    pub top_events_ms_per_sec: Vec<(String, u64)>,
}

/// What a timeline event's time counts as.
fn kind_of(name: &str) -> &'static str {
    match name {
        "FunctionCall"
        | "EventDispatch"
        | "TimerFire"
        | "FireAnimationFrame"
        | "EvaluateScript"
        | "v8.compile"
        | "v8.compileModule"
        | "v8.evaluateModule"
        | "v8.callFunction"
        | "RunMicrotasks"
        | "V8.GC_SCAVENGER"
        | "MajorGC"
        | "MinorGC"
        | "XHRReadyStateChange"
        | "XHRLoad"
        | "GCEvent"
        | "BlinkGC.AtomicPhase"
        | "v8.wasm.compiledModule"
        | "v8.wasm.streamFromResponseCallback"
        | "WebSocketReceiveHandshakeResponse" => "script",
        "UpdateLayoutTree"
        | "Layout"
        | "RecalculateStyles"
        | "ScheduleStyleRecalculation"
        | "InvalidateLayout"
        | "LayoutShift"
        | "HitTest" => "style_layout",
        "Paint" | "PrePaint" | "Layerize" | "Commit" | "PaintImage" | "CompositeLayers"
        | "UpdateLayer" | "UpdateLayerTree" | "RasterTask" | "Decode Image" => "paint",
        "ParseHTML" | "ParseAuthorStyleSheet" => "parse",
        _ => "other",
    }
}

/// One complete (`ph: "X"`) event on a thread: start and end in µs of the trace clock.
struct Span<'a> {
    name: &'a str,
    toplevel: bool,
    start: u64,
    end: u64,
}

/// chromedriver's "get log" command (`POST /session/{id}/se/log`), which the W3C protocol
/// left out and fantoccini therefore lacks.
#[derive(Debug)]
struct GetLog(&'static str);

impl fantoccini::wd::WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(serde_json::json!({ "type": self.0 }).to_string()),
        )
    }
}

impl crate::e2e::Browser {
    /// The trace events recorded since the session started (a session opened with
    /// [`crate::e2e::Browser::open_traced`]); chromedriver ends the trace and hands over its events. Read
    /// it once, at the end, with windows marked by [`mark`]. Each is a Chromium
    /// trace event (`ph`, `cat`, `name`, `pid`, `tid`, `ts` and `dur` in µs); read them with
    /// [`main_thread_busy`].
    ///
    /// # Errors
    /// chromedriver's answer is not a log, or holds no trace event (the message names the
    /// log's methods and its first entry).
    pub async fn trace_events(&self) -> anyhow::Result<Vec<Value>> {
        // chromedriver hands over at most 100,000 entries a read: read until it has no more.
        let mut entries = Vec::new();
        for _ in 0..100 {
            let log = self
                .client()
                .issue_cmd(GetLog("performance"))
                .await
                .context("reading chromedriver's performance log")?;
            let Value::Array(more) = log else {
                bail!("the performance log is not a list: {log}");
            };
            if more.is_empty() {
                break;
            }
            entries.extend(more);
        }
        let mut events = Vec::new();
        let mut methods = std::collections::BTreeMap::<String, usize>::new();
        for entry in &entries {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let message: Value =
                serde_json::from_str(message).context("a performance log entry")?;
            let message = &message["message"];
            *methods
                .entry(message["method"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
            if message["method"] != "Tracing.dataCollected" {
                continue;
            }
            // chromedriver logs one entry per trace event; a raw DevTools event would carry
            // them in a `value` list.
            match message["params"]["value"].as_array() {
                Some(list) => events.extend(list.iter().cloned()),
                None => events.push(message["params"].clone()),
            }
        }
        ensure!(
            !events.is_empty(),
            "no trace events in {} performance log entries ({methods:?}; first: {})",
            entries.len(),
            entries.first().map(ToString::to_string).unwrap_or_default()
        );
        Ok(events)
    }
}

/// Marks a point on the page's trace: `console.timeStamp(name)`, recorded as a `TimeStamp`
/// event whose arguments carry `name`.
pub async fn mark(browser: &crate::e2e::Browser, name: &str) -> anyhow::Result<()> {
    browser
        .client()
        .execute("console.timeStamp(arguments[0]);", vec![Value::from(name)])
        .await
        .with_context(|| format!("marking {name} on the trace"))?;
    Ok(())
}

/// A trace time or duration in µs: Chromium writes them as numbers that may carry a
/// fraction (`6302103511.0`); whole µs are enough here.
fn micros(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        let f = v.as_f64().filter(|f| f.is_finite() && *f >= 0.0)?;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a finite, non-negative trace time in µs: whole µs are enough"
        )]
        Some(f as u64)
    })
}

/// The trace time (µs) of the `TimeStamp` event [`mark`] recorded for `name`.
fn mark_ts(events: &[Value], name: &str) -> Option<u64> {
    events
        .iter()
        .filter(|e| e["name"] == "TimeStamp")
        .find(|e| e["args"].to_string().contains(name))
        .and_then(|e| micros(&e["ts"]))
}

/// Reads the renderer main thread's busy time between the marks `from` and `to` ([`mark`])
/// out of trace events (as [`crate::e2e::Browser::trace_events`] returns them); events that
/// straddle a mark count only inside the window.
///
/// The main thread is the `CrRendererMain` thread (named by `thread_name` metadata events)
/// with the most top-level task time: a tab that navigated may have left an idle renderer.
///
/// # Errors
/// A mark is missing, no `CrRendererMain` thread, or no top-level task on it in the window.
pub fn main_thread_busy(events: &[Value], from: &str, to: &str) -> anyhow::Result<MainThreadBusy> {
    let start = mark_ts(events, from).with_context(|| format!("no trace mark {from}"))?;
    let end = mark_ts(events, to).with_context(|| format!("no trace mark {to}"))?;
    ensure!(start < end, "trace mark {from} is not before {to}");
    let mut main_threads: Vec<(u64, u64)> = Vec::new();
    for e in events {
        if e["ph"] != "M" || e["name"] != "thread_name" || e["args"]["name"] != "CrRendererMain" {
            continue;
        }
        if let (Some(pid), Some(tid)) = (e["pid"].as_u64(), e["tid"].as_u64()) {
            main_threads.push((pid, tid));
        }
    }
    ensure!(
        !main_threads.is_empty(),
        "no CrRendererMain thread among {} trace events",
        events.len()
    );
    let mut by_thread: HashMap<(u64, u64), Vec<Span<'_>>> = HashMap::new();
    for e in events {
        if e["ph"] != "X" {
            continue;
        }
        let (Some(pid), Some(tid), Some(ts), Some(dur)) = (
            e["pid"].as_u64(),
            e["tid"].as_u64(),
            micros(&e["ts"]),
            micros(&e["dur"]),
        ) else {
            continue;
        };
        let (ts, end_ts) = (ts.max(start), ts.saturating_add(dur).min(end));
        if !main_threads.contains(&(pid, tid)) || ts >= end_ts {
            continue;
        }
        let cat = e["cat"].as_str().unwrap_or_default();
        by_thread.entry((pid, tid)).or_default().push(Span {
            name: e["name"].as_str().unwrap_or_default(),
            toplevel: cat.split(',').any(|c| c == "toplevel"),
            start: ts,
            end: end_ts,
        });
    }
    let busiest = by_thread
        .into_values()
        .max_by_key(|spans| union_us(spans.iter().filter(|s| s.toplevel)).0)
        .context("no complete events on a renderer main thread in the window")?;
    summarize(&busiest, end - start)
}

/// The union of `spans`' intervals: (covered µs, longest single span µs, count).
fn union_us<'a>(spans: impl Iterator<Item = &'a Span<'a>>) -> (u64, u64, u64) {
    let mut intervals: Vec<(u64, u64)> = spans.map(|s| (s.start, s.end)).collect();
    intervals.sort_unstable();
    let longest = intervals.iter().map(|(a, b)| b - a).max().unwrap_or(0);
    let count = u64::try_from(intervals.len()).unwrap_or(u64::MAX);
    let (mut covered, mut open): (u64, Option<(u64, u64)>) = (0, None);
    for (start, end) in intervals {
        open = match open {
            Some((a, b)) if start <= b => Some((a, b.max(end))),
            Some((a, b)) => {
                covered += b - a;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((a, b)) = open {
        covered += b - a;
    }
    (covered, longest, count)
}

fn summarize(spans: &[Span<'_>], window_us: u64) -> anyhow::Result<MainThreadBusy> {
    let tasks: Vec<&Span<'_>> = spans.iter().filter(|s| s.toplevel).collect();
    ensure!(!tasks.is_empty(), "no top-level task on the main thread");
    let window_us = window_us.max(1);
    let (busy_us, longest_us, count) = union_us(tasks.iter().copied());

    // Outermost timeline events: sorted by start (longest first on ties), skip what lies
    // inside the last outermost one.
    let mut timeline: Vec<&Span<'_>> = spans.iter().filter(|s| !s.toplevel).collect();
    timeline.sort_unstable_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut by_name: HashMap<&str, u64> = HashMap::new();
    let mut covered_to = 0;
    for s in timeline {
        if s.start < covered_to {
            continue;
        }
        covered_to = s.end;
        *by_name.entry(s.name).or_default() += s.end - s.start;
    }
    let per_sec = |us: u64| us * 1_000 / window_us;
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (name, us) in &by_name {
        *by_kind.entry(kind_of(name)).or_default() += us;
    }
    let mut top: Vec<(String, u64)> = by_name
        .iter()
        .map(|(name, us)| ((*name).to_owned(), per_sec(*us)))
        .collect();
    top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(10);
    Ok(MainThreadBusy {
        window_ms: window_us / 1_000,
        tasks: count,
        busy_ms: busy_us / 1_000,
        busy_ms_per_sec: per_sec(busy_us),
        longest_task_ms: longest_us / 1_000,
        by_kind_ms_per_sec: by_kind
            .into_iter()
            .map(|(k, us)| (k, per_sec(us)))
            .collect(),
        top_events_ms_per_sec: top,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn task(ts: u64, dur: u64) -> Value {
        json!({"ph": "X", "cat": "toplevel", "name": "ThreadControllerImpl::RunTask",
               "pid": 7, "tid": 1, "ts": ts, "dur": dur})
    }

    fn timeline(name: &str, ts: u64, dur: u64) -> Value {
        json!({"ph": "X", "cat": "devtools.timeline", "name": name,
               "pid": 7, "tid": 1, "ts": ts, "dur": dur})
    }

    #[test]
    fn busy_time_is_the_union_of_the_main_threads_tasks_and_kinds_count_outermost_events() {
        let events = vec![
            json!({"ph": "M", "name": "thread_name", "pid": 7, "tid": 1,
                   "args": {"name": "CrRendererMain"}}),
            json!({"ph": "M", "name": "thread_name", "pid": 7, "tid": 2,
                   "args": {"name": "Compositor"}}),
            task(0, 4_000),
            // Nested in the first task: counted once.
            task(1_000, 1_000),
            timeline("FunctionCall", 100, 3_000),
            // Inside the FunctionCall: not counted again.
            timeline("Layout", 500, 1_000),
            task(500_000, 6_000),
            timeline("Layout", 500_000, 2_000),
            timeline("Paint", 502_000, 1_000),
            // Another thread's task: not the main thread's.
            json!({"ph": "X", "cat": "toplevel", "name": "RunTask", "pid": 7, "tid": 2,
                   "ts": 0, "dur": 900_000}),
            task(999_000, 1_000),
            // Straddles the end mark: 0.5 ms of it inside.
            task(999_500, 100_000),
            // After the window.
            task(1_200_000, 50_000),
            json!({"ph": "I", "cat": "devtools.timeline", "name": "TimeStamp", "pid": 7,
                   "tid": 1, "ts": 0, "args": {"data": {"message": "window-start"}}}),
            json!({"ph": "I", "cat": "devtools.timeline", "name": "TimeStamp", "pid": 7,
                   "tid": 1, "ts": 1_000_000.0, "args": {"data": {"message": "window-end"}}}),
        ];
        let busy = main_thread_busy(&events, "window-start", "window-end").unwrap();
        assert_eq!(busy.window_ms, 1_000);
        assert_eq!(busy.tasks, 5);
        assert_eq!(busy.busy_ms, 11);
        assert_eq!(busy.busy_ms_per_sec, 11);
        assert_eq!(busy.longest_task_ms, 6);
        assert_eq!(busy.by_kind_ms_per_sec["script"], 3);
        assert_eq!(busy.by_kind_ms_per_sec["style_layout"], 2);
        assert_eq!(busy.by_kind_ms_per_sec["paint"], 1);
        assert_eq!(
            busy.top_events_ms_per_sec[0],
            ("FunctionCall".to_owned(), 3)
        );
    }

    #[test]
    fn a_trace_without_a_renderer_main_thread_or_a_mark_is_an_error() {
        let marks = [
            json!({"name": "TimeStamp", "ts": 0, "args": {"data": {"message": "a"}}}),
            json!({"name": "TimeStamp", "ts": 10, "args": {"data": {"message": "b"}}}),
        ];
        let mut events = marks.to_vec();
        events.push(task(0, 10));
        let err = main_thread_busy(&events, "a", "b").unwrap_err();
        assert!(err.to_string().contains("CrRendererMain"), "{err}");
        let err = main_thread_busy(&events, "a", "c").unwrap_err();
        assert!(err.to_string().contains("no trace mark c"), "{err}");
    }
}
