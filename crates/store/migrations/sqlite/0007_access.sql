-- Signing in: passwords, sessions, API tokens and the sign-in log. Kept apart from `users`,
-- which a sync rewrites, so that no sync can set a password or lift a disable.
CREATE TABLE logins (
    user_id TEXT PRIMARY KEY,
    -- An argon2 PHC string; none until a password is set.
    password_hash TEXT,
    -- `arrears user disable`: refuses sign-ins until enabled again.
    disabled INTEGER NOT NULL DEFAULT 0,
    -- Failed sign-ins in a row, and until when the account is locked after too many.
    failed INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);

-- Server-side sessions, by the SHA-256 of the cookie's secret (a stolen table signs no one in).
CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    token_id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT,
    -- SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE sign_ins (
    sign_in_id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    -- As typed: failed sign-ins may name no user.
    user_id TEXT NOT NULL,
    ok INTEGER NOT NULL,
    -- Why it failed (wrong password, locked, disabled, unknown user) or `signed in`.
    outcome TEXT NOT NULL,
    client TEXT
);
CREATE INDEX sign_ins_by_client ON sign_ins (client, at);
