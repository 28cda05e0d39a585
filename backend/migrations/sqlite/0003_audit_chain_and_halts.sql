-- The audit log becomes an append-only hash chain: each record names the request it was
-- (method, the exact path and query sent, a SHA-256 of the body), an outcome is a second
-- record that refers to the first, and each record carries the hash of the one before.
-- Records written before this migration have no hash and stand before the chain.
ALTER TABLE audit ADD COLUMN method TEXT;
ALTER TABLE audit ADD COLUMN path TEXT;
ALTER TABLE audit ADD COLUMN body_sha256 TEXT;
ALTER TABLE audit ADD COLUMN refers_to BIGINT;
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_refers ON audit(refers_to);

-- The chain's head: how many chained records there are and the last one's hash. Updated in
-- the same transaction as each insert, so inserts are serialized and a removed tail shows.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    records BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, records, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Kill switches in force: scope 'desk' (the whole desk) or 'user:<username>'.
CREATE TABLE halts (
    scope TEXT PRIMARY KEY,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    since_ms BIGINT NOT NULL
);
