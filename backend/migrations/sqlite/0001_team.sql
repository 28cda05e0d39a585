-- Team desk: users, sessions, order attribution, audit log (SQLite).
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    max_order_notional TEXT,
    max_position TEXT,
    allowed_series TEXT NOT NULL DEFAULT '',
    created_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE order_owners (
    client_order_id TEXT PRIMARY KEY,
    order_id TEXT,
    username TEXT NOT NULL,
    market_ticker TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX order_owners_order ON order_owners(order_id);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    body TEXT NOT NULL,
    client_order_id TEXT,
    outcome TEXT NOT NULL,
    status BIGINT,
    error TEXT,
    completed_ms BIGINT
);
CREATE INDEX audit_ts ON audit(ts_ms);
CREATE INDEX audit_actor ON audit(actor);
