-- Each user's alert rules (shared::alerts::Condition as JSON), their webhook, and the log of
-- firings. Evaluated by the desk whether or not a tab is open; every replica reads them.
CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    condition TEXT NOT NULL,
    muted BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms BIGINT NOT NULL
);
CREATE INDEX alert_rules_user ON alert_rules(user_id);

CREATE TABLE alert_webhooks (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE alert_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rule_id BIGINT NOT NULL,
    ts_ms BIGINT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    market_ticker TEXT,
    muted BOOLEAN NOT NULL DEFAULT FALSE,
    webhook TEXT
);
CREATE INDEX alert_log_user ON alert_log(user_id, id);
