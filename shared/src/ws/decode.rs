//! Reading one text frame: known types, unknown types kept raw, and malformed bodies
//! that still yield their `sid`/`seq`.

use serde::Deserialize;

use crate::ids::{Seq, Sid};

use super::ServerFrame;

/// A decoded incoming frame.
#[derive(Clone, Debug, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a frame is decoded once and moved into its handler; a Box would cost an allocation per frame on the hot path"
)]
pub enum Incoming {
    /// A frame of a known `type`.
    Known(ServerFrame),
    /// A frame whose `type` this build does not model; kept whole.
    Unknown {
        /// Its `type`.
        kind: String,
        /// Its `sid`, if any.
        sid: Option<Sid>,
        /// Its `seq`, if any (it still counts in the sequence).
        seq: Option<Seq>,
        /// The raw JSON.
        raw: serde_json::Value,
    },
}

/// A frame that could not be read. Carries what could be salvaged so a sequencer can
/// still count the frame's `seq`.
#[derive(Debug, thiserror::Error)]
#[error("malformed {kind:?} frame (sid {sid:?}, seq {seq:?}): {source}")]
pub struct FrameError {
    /// The `type`, if the text was at least a JSON object with one.
    pub kind: Option<String>,
    /// The `sid`, if readable.
    pub sid: Option<Sid>,
    /// The `seq`, if readable.
    pub seq: Option<Seq>,
    /// Why decoding failed.
    #[source]
    pub source: serde_json::Error,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    sid: Option<Sid>,
    seq: Option<Seq>,
}

/// Decodes one text frame from Kalshi.
///
/// # Errors
/// [`FrameError`] when the text is not JSON or a known frame's body does not match its
/// schema; the error keeps the `type`/`sid`/`seq` when they were readable.
pub fn decode(text: &str) -> Result<Incoming, FrameError> {
    match serde_json::from_str::<ServerFrame>(text) {
        Ok(ServerFrame::Unknown) => {
            let raw: serde_json::Value =
                serde_json::from_str(text).map_err(|source| FrameError {
                    kind: None,
                    sid: None,
                    seq: None,
                    source,
                })?;
            let env: Envelope = serde_json::from_value(raw.clone()).unwrap_or(Envelope {
                kind: None,
                sid: None,
                seq: None,
            });
            Ok(Incoming::Unknown {
                kind: env.kind.unwrap_or_default(),
                sid: env.sid,
                seq: env.seq,
                raw,
            })
        }
        Ok(frame) => Ok(Incoming::Known(frame)),
        Err(source) => {
            let env = serde_json::from_str::<Envelope>(text).ok();
            Err(FrameError {
                kind: env.as_ref().and_then(|e| e.kind.clone()),
                sid: env.as_ref().and_then(|e| e.sid),
                seq: env.as_ref().and_then(|e| e.seq),
                source,
            })
        }
    }
}
