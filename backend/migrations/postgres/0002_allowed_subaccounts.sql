-- Subaccounts a user may trade (comma-separated numbers; empty = all).
ALTER TABLE users ADD COLUMN allowed_subaccounts TEXT NOT NULL DEFAULT '';
