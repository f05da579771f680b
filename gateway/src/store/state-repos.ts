import type { CredentialRepository, RuleStateRepository, TimerRecord, TimerRepository } from '../core/contracts.js'
import type { Db } from './db.js'

export function createRuleStateRepo(db: Db): RuleStateRepository {
  const get = db.prepare('SELECT state FROM rule_state WHERE person_id = ? AND rule_id = ?').pluck()
  const put = db.prepare('INSERT INTO rule_state (person_id, rule_id, state) VALUES (?, ?, ?) ON CONFLICT (person_id, rule_id) DO UPDATE SET state = excluded.state WHERE state IS NOT excluded.state')
  return {
    get(personId, ruleId) {
      const s = get.get(personId, ruleId) as string | undefined
      return s === undefined ? undefined : (JSON.parse(s) as unknown)
    },
    put: (personId, ruleId, state) => void put.run(personId, ruleId, JSON.stringify(state)),
  }
}

interface TimerRow { key: string; due_at: number; person_id: string; rule_id: string; created_event_seq: number | null }
const toTimer = (r: TimerRow): TimerRecord => ({ key: r.key, dueAt: r.due_at, personId: r.person_id, ruleId: r.rule_id, createdEventSeq: r.created_event_seq })

export function createTimerRepo(db: Db): TimerRepository {
  const set = db.prepare('INSERT INTO timers (key, due_at, person_id, rule_id, created_event_seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, created_event_seq = excluded.created_event_seq')
  const clear = db.prepare('DELETE FROM timers WHERE key = ?')
  const get = db.prepare('SELECT * FROM timers WHERE key = ?')
  const due = db.prepare('SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at, key')
  const next = db.prepare('SELECT * FROM timers ORDER BY due_at, key LIMIT 1')
  return {
    set: (t) => void set.run(t.key, t.dueAt, t.personId, t.ruleId, t.createdEventSeq),
    clear: (key) => clear.run(key).changes > 0,
    get: (key) => {
      const r = get.get(key) as TimerRow | undefined
      return r ? toTimer(r) : null
    },
    due: (now) => (due.all(now) as TimerRow[]).map(toTimer),
    next: () => {
      const r = next.get() as TimerRow | undefined
      return r ? toTimer(r) : null
    },
  }
}

export function createCredentialRepo(db: Db): CredentialRepository {
  const get = db.prepare('SELECT kind, secret_hash, revoked_at FROM credentials WHERE principal = ?')
  const put = db.prepare('INSERT INTO credentials (principal, kind, secret_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (principal) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at, revoked_at = NULL')
  const revoke = db.prepare('UPDATE credentials SET revoked_at = ? WHERE principal = ? AND revoked_at IS NULL')
  return {
    revoke: (principal, at) => revoke.run(at, principal).changes > 0,
    get(principal) {
      const r = get.get(principal) as { kind: 'device' | 'user'; secret_hash: string; revoked_at: number | null } | undefined
      return r ? { kind: r.kind, secretHash: r.secret_hash, revoked: r.revoked_at !== null } : null
    },
    put: (principal, kind, hash, at) => void put.run(principal, kind, hash, at),
  }
}
