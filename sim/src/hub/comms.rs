//! Fan-out of the `communications` channel (RFQs and quotes) with Kalshi's visibility:
//! RFQ events go to every `communications` subscriber; quote events only to the RFQ's
//! creator and the quote's creator.

use shared::ids::Sid;
use shared::ws::Channel;

use super::super::rfq::CommsEvent;
use super::super::wire::OutFrame;
use super::Hub;

impl Hub {
    /// Sends RFQ/quote events to the `communications` subscriptions allowed to see them.
    pub fn publish_comms(&mut self, events: &[CommsEvent]) {
        if self.conns.is_empty() {
            return;
        }
        for event in events {
            for conn in self.conns.values_mut() {
                if conn.dead || !event.visible_to(conn.account) {
                    continue;
                }
                let mut out: Vec<(OutFrame, Sid)> = Vec::new();
                for (&sid, sub) in conn.subs.iter_mut() {
                    if sub.channel != Channel::Communications {
                        continue;
                    }
                    let seq = Some(sub.next_seq());
                    let frame = match event {
                        CommsEvent::RfqCreated(msg) => OutFrame::RfqCreated {
                            sid,
                            seq,
                            msg: msg.clone(),
                        },
                        CommsEvent::RfqDeleted(msg) => OutFrame::RfqDeleted {
                            sid,
                            seq,
                            msg: msg.clone(),
                        },
                        CommsEvent::QuoteCreated { msg, .. } => OutFrame::QuoteCreated {
                            sid,
                            seq,
                            msg: msg.clone(),
                        },
                        CommsEvent::QuoteAccepted { msg, .. } => OutFrame::QuoteAccepted {
                            sid,
                            seq,
                            msg: msg.clone(),
                        },
                        CommsEvent::QuoteExecuted { msg, .. } => OutFrame::QuoteExecuted {
                            sid,
                            seq,
                            msg: msg.clone(),
                        },
                    };
                    out.push((frame, sid));
                }
                for (frame, sid) in out {
                    conn.send(frame, Some(sid));
                }
            }
        }
        self.reap();
    }
}
