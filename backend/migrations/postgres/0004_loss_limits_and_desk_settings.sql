-- A user's daily loss limit (dollars; NULL = none).
ALTER TABLE users ADD COLUMN max_daily_loss TEXT;

-- Desk-wide settings, one JSON value per name: 'limits' (the desk's daily loss limit),
-- 'rfq_rules' (the RFQ rule set, so rules survive a restart and every replica reads them).
CREATE TABLE desk_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);

-- The first YES mark the desk read for a market on a trading day (Eastern): the start of
-- the day for positions carried into it. The first writer wins.
CREATE TABLE day_marks (
    day TEXT NOT NULL,
    market_ticker TEXT NOT NULL,
    mark TEXT NOT NULL,
    PRIMARY KEY (day, market_ticker)
);
