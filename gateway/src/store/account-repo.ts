import type { AccountRepository, OneTimeTokenRecord, SessionRecord } from '../core/accounts.js'
import type { Db } from './db.js'

interface SessionRow { id_hash: string; user_id: string; csrf: string; via: SessionRecord['via']; created_at: number; last_seen_at: number; expires_at: number }
interface TokenRow { token_hash: string; purpose: OneTimeTokenRecord['purpose']; user_id: string | null; created_by: string; created_at: number; expires_at: number; used_at: number | null }

export function createAccountRepo(db: Db): AccountRepository {
  const q = {
    password: db.prepare('SELECT password_hash FROM user_passwords WHERE user_id = ?').pluck(),
    setPassword: db.prepare('INSERT INTO user_passwords (user_id, password_hash, set_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, set_at = excluded.set_at'),
    withPassword: db.prepare('SELECT user_id FROM user_passwords ORDER BY user_id').pluck(),
    insertSession: db.prepare('INSERT INTO sessions (id_hash, user_id, csrf, via, created_at, last_seen_at, expires_at) VALUES (@idHash, @userId, @csrf, @via, @createdAt, @lastSeenAt, @expiresAt)'),
    session: db.prepare('SELECT * FROM sessions WHERE id_hash = ?'),
    touch: db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?'),
    deleteSession: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
    sessionsOf: db.prepare('SELECT id_hash FROM sessions WHERE user_id = ?').pluck(),
    deleteSessionsOf: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    purge: db.prepare('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?'),
    insertToken: db.prepare('INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_by, created_at, expires_at) VALUES (@tokenHash, @purpose, @userId, @createdBy, @createdAt, @expiresAt)'),
    token: db.prepare('SELECT * FROM one_time_tokens WHERE token_hash = ?'),
    useToken: db.prepare('UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL'),
    withdraw: db.prepare('UPDATE one_time_tokens SET used_at = ? WHERE purpose = ? AND used_at IS NULL AND (? IS NULL OR user_id = ?)'),
  }
  const toSession = (r: SessionRow): SessionRecord => ({ idHash: r.id_hash, userId: r.user_id, csrf: r.csrf, via: r.via, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at })
  const toToken = (r: TokenRow): OneTimeTokenRecord => ({ tokenHash: r.token_hash, purpose: r.purpose, userId: r.user_id, createdBy: r.created_by, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at })
  return {
    passwordHash: (userId) => (q.password.get(userId) as string | undefined) ?? null,
    setPassword: (userId, hash, at) => void q.setPassword.run(userId, hash, at),
    usersWithPassword: () => q.withPassword.all() as string[],
    insertSession: (s) => void q.insertSession.run(s),
    session: (idHash) => {
      const r = q.session.get(idHash) as SessionRow | undefined
      return r ? toSession(r) : null
    },
    touchSession: (idHash, at) => void q.touch.run(at, idHash),
    deleteSession: (idHash) => q.deleteSession.run(idHash).changes > 0,
    deleteSessionsOf: (userId) => {
      const ids = q.sessionsOf.all(userId) as string[]
      q.deleteSessionsOf.run(userId)
      return ids
    },
    purgeExpiredSessions: (now, idleBefore) => q.purge.run(now, idleBefore).changes,
    insertOneTimeToken: (t) => void q.insertToken.run(t),
    oneTimeToken: (h) => {
      const r = q.token.get(h) as TokenRow | undefined
      return r ? toToken(r) : null
    },
    useOneTimeToken: (h, at) => q.useToken.run(at, h).changes > 0,
    withdrawOneTimeTokens: (purpose, userId, at) => void q.withdraw.run(at, purpose, userId, userId),
  }
}
