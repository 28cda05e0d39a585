//! A stop is clean: every browser socket session and every side task (upstream, watchers,
//! RFQ rules) has ended by the time `run_until_stopped` returns, and each browser got a
//! close frame rather than a reset.

use std::time::Duration;

use desk_backend::app::{Application, STOP_GRACE};
use desk_backend::config::Config;
use futures_util::StreamExt as _;
use shared::auth::{Role, UserLimits};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{dist_dir, user_session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_every_socket_session_and_side_task_before_it_returns() {
    let mut config = Config::for_tests(dist_dir());
    config.sim_flow = 0;
    let app = Application::build(config).await.unwrap();
    let (port, store, stop, tasks) = (app.port(), app.store(), app.shutdown_token(), app.tasks());
    let running = tokio::spawn(app.run_until_stopped());
    let session = user_session(&store, port, "admin", Role::Admin, UserLimits::default()).await;
    // Each has had its hello: its session is running.
    let mut browsers = vec![session.browser().await, session.browser().await];
    assert!(
        tasks.len() >= 2 + 4,
        "two sessions (and their watchers) and the side tasks are tracked: {}",
        tasks.len()
    );

    stop.cancel();
    tokio::time::timeout(STOP_GRACE + Duration::from_secs(5), running)
        .await
        .expect("the stop returns within its grace period")
        .unwrap()
        .unwrap();
    assert!(tasks.is_closed());
    assert_eq!(tasks.len(), 0, "no session or side task outlives the stop");
    for b in &mut browsers {
        let mut closed = false;
        while let Ok(Some(frame)) = tokio::time::timeout(Duration::from_secs(2), b.ws.next()).await
        {
            match frame {
                Ok(Message::Close(_)) => {
                    closed = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => panic!("the socket was reset, not closed: {e}"),
            }
        }
        assert!(closed, "each browser gets a close frame");
    }
}
