-- The account's fills and settled markets as the desk has read them from Kalshi (back-filled
-- on first start, then kept up): what the P&L history (shared::pnl) is computed from.
CREATE TABLE fill_history (
    trade_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    market_ticker TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    yes_delta TEXT NOT NULL,
    yes_price TEXT NOT NULL,
    fee TEXT NOT NULL
);
CREATE INDEX fill_history_ts ON fill_history(ts_ms);

CREATE TABLE settlement_history (
    market_ticker TEXT PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
    value TEXT NOT NULL
);
