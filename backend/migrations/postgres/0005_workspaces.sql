-- Each user's workspace (named layouts of the desk screen, the price format) as JSON
-- (shared::workspace::Workspace): it follows the user to any machine and every replica.
CREATE TABLE workspaces (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    body TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);
