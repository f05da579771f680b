-- Issue 7: individual sign-in. Passwords and sessions are stored only as hashes, so a copy of this
-- file yields neither a password nor a live session.
CREATE TABLE user_passwords (
  user_id TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  set_at INTEGER NOT NULL
);

-- Browser sessions (HttpOnly cookie). id_hash = SHA-256 of the cookie value. Sessions survive a gateway
-- restart, so a restart does not sign every carer out in the middle of a shift.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('password', 'token', 'setup')),
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- One-time links: the first AT admin's setup link, and password (re)set links an AT admin issues.
CREATE TABLE one_time_tokens (
  token_hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'password')),
  user_id TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
