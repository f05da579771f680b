import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Alert, Notification } from '../core/alert.js'
import type { Repositories } from '../core/contracts.js'
import type { Suppression } from '../core/suppression.js'
import { type Db, openDatabase } from '../store/db.js'
import { createRepositories } from '../store/index.js'
import { createDryRunRepos } from './dry-run-repos.js'

/**
 * The pipeline's store view that can run work without writing (paging an alarm while another process holds the write
 * lock). Over a real SQLite store: inside a dry run nothing reaches the database or the store's memory, reads see the
 * run's own writes, and the next run starts from the store again.
 */
let dir: string
let db: Db
let real: Repositories
let dry: ReturnType<typeof createDryRunRepos>

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-dry-'))
  db = openDatabase(join(dir, 'gateway.db'))
  real = createRepositories(db)
  dry = createDryRunRepos(real)
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const rows = () => Object.fromEntries(['journal', 'audit', 'alerts', 'notifications', 'rule_state', 'timers', 'suppressions'].map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()]))
const event = (eventId: string) => ({ siteId: 's1', deviceId: 'sz-1', eventId, type: 'seizure_alarm', deviceAt: 1, receivedAt: 1 })
const alert = (id: string, state: Alert['state'] = 'active'): Alert & { conditionKey: string } => ({
  id, siteId: 's1', personId: 'p1', subject: null, deviceId: 'sz-1', ruleId: 'seizure', ruleVersion: 'v1', kind: 'care', alertClass: 'SEIZURE', priority: 'high', state,
  raisedAt: 1, updatedAt: 1, acceptedBy: null, acceptedAt: null, triggerEventSeq: null, triggerCount: 1, escalationStep: 0, nextStepAt: null,
  resolvedBy: null, resolvedAt: null, closedBy: null, closedAt: null, outcome: null, outcomeNote: null, conditionKey: 'p1/seizure',
})
const notification = (id: string, alertId: string): Notification => ({ id, alertId, userId: 'c1', pagerId: 'soft-c1', protocol: 'soft', attempt: 1, state: 'queued', text: 'R1 SEIZURE', createdAt: 1, updatedAt: 1 })
const suppression = (id: string, over: Partial<Suppression> = {}): Suppression => ({ id, kind: 'carer_present', scope: 'person', target: 'p1', reason: 'r', setBy: 'user:c1', setAt: 0, expiresAt: 1000, clearedAt: null, clearedBy: null, ...over })

describe('createDryRunRepos', () => {
  it('outside a dry run every call goes to the store', () => {
    const r = dry.repos
    expect(r.journal.insert(event('e1'), 'processed')).toBe(1)
    r.alerts.insert(alert('al-1'))
    r.audit.append({ at: 1, kind: 'gateway.started', actor: 'gateway', detail: {} })
    expect(rows()).toMatchObject({ journal: 1, alerts: 1, audit: 1 })
  })

  it('inside one, writes reach neither the database nor the store\'s memory, and seqs are negative', () => {
    real.journal.insert(event('stored'), 'processed')
    const before = rows()
    const r = dry.repos
    const seqs = dry.dryRun(() => {
      const s = [r.journal.insert(event('new'), 'processed'), r.audit.append({ at: 1, kind: 'gateway.started', actor: 'gateway', detail: {} })]
      r.alerts.insert(alert('al-1'))
      r.notifications.insert(notification('nt-1', 'al-1'))
      r.ruleState.put('p1', 'seizure', { phase: 'alerted' })
      r.timers.set({ key: 'p1/seizure', dueAt: 5, personId: 'p1', ruleId: 'seizure', createdEventSeq: null })
      r.suppressions.insert(suppression('sp-1'))
      return s
    })
    expect(seqs.every((s) => s !== null && s < 0)).toBe(true)
    expect(rows()).toEqual(before)
    // The journal's held keys did not move: the same event is new to the store after the run.
    expect(real.journal.findSeq('sz-1', 'new')).toBeNull()
    expect(real.journal.insert(event('new'), 'processed')).toBe(2)
  })

  it('sees its own writes, over the store\'s rows', () => {
    real.alerts.insert(alert('al-stored'))
    real.notifications.insert(notification('nt-stored', 'al-stored'))
    real.suppressions.insert(suppression('sp-stored', { target: 'p1' }))
    const r = dry.repos
    dry.dryRun(() => {
      // A duplicate of a stored event, or of one journaled earlier in the run, is a duplicate.
      real.journal.insert(event('stored'), 'processed')
      expect(r.journal.insert(event('stored'), 'processed')).toBeNull()
      expect(r.journal.insert(event('fresh'), 'processed')).not.toBeNull()
      expect(r.journal.insert(event('fresh'), 'processed')).toBeNull()
      // The stored open alert of the condition, closed in the run, is no longer open; a new one raised in the run is.
      expect(r.alerts.findOpenByCondition('p1/seizure')?.id).toBe('al-stored')
      r.alerts.update('al-stored', { state: 'closed', closedAt: 2 })
      expect(r.alerts.findOpenByCondition('p1/seizure')).toBeNull()
      expect(r.alerts.get('al-stored')?.state).toBe('closed')
      r.alerts.insert(alert('al-new', 'new'))
      r.alerts.update('al-new', { state: 'active' })
      expect(r.alerts.findOpenByCondition('p1/seizure')).toMatchObject({ id: 'al-new', state: 'active' })
      // Notifications: the stored one with its new state, and the run's own.
      r.notifications.setState('nt-stored', 'expired', 3)
      r.notifications.insert(notification('nt-new', 'al-stored'))
      expect(r.notifications.forAlert('al-stored').map((n) => [n.id, n.state])).toEqual([['nt-stored', 'expired'], ['nt-new', 'queued']])
      expect(r.notifications.get('nt-new')?.id).toBe('nt-new')
      // Rule state and deadlines.
      r.ruleState.put('p1', 'seizure', 'armed')
      expect(r.ruleState.get('p1', 'seizure')).toBe('armed')
      r.timers.set({ key: 't1', dueAt: 5, personId: 'p1', ruleId: 'seizure', createdEventSeq: null })
      expect(r.timers.get('t1')?.dueAt).toBe(5)
      expect(r.timers.clear('t1')).toBe(true)
      expect(r.timers.get('t1')).toBeNull()
      expect(r.timers.clear('t1')).toBe(false)
      // Suppressions in force: the stored one cleared in the run goes, one set in the run comes.
      expect(r.suppressions.activeFor('p1', null, 10).map((s) => s.id)).toEqual(['sp-stored'])
      expect(r.suppressions.clear('sp-stored', 'user:c1', 10)).toBe(true)
      expect(r.suppressions.clear('sp-stored', 'user:c1', 11)).toBe(false)
      r.suppressions.insert(suppression('sp-new', { kind: 'away', setAt: 5 }))
      expect(r.suppressions.activeFor('p1', null, 20).map((s) => s.id)).toEqual(['sp-new'])
      expect(r.suppressions.activeFor('p2', null, 20)).toEqual([])
    })
    // Nothing of it stays: the next run, and the store, see the stored rows as they were.
    expect(dry.dryRun(() => r.alerts.findOpenByCondition('p1/seizure')?.id)).toBe('al-stored')
    expect(real.notifications.get('nt-stored')?.state).toBe('queued')
    expect(real.suppressions.activeFor('p1', null, 20).map((s) => s.id)).toEqual(['sp-stored'])
    expect(dry.dryRun(() => r.ruleState.get('p1', 'seizure'))).toBeUndefined()
  })

  it('refuses writes an event never makes, and a dry run inside another', () => {
    const r = dry.repos
    dry.dryRun(() => {
      expect(() => r.credentials.put('d1', 'device', 'h', 1)).toThrow('storing a credential is not available in a dry run')
      expect(() => r.ruleVersions.insert({ personId: 'p1', ruleId: 'r', version: 'v', rule: {}, changedBy: 'x', changedAt: 1, note: null })).toThrow('not available in a dry run')
      expect(() => dry.dryRun(() => 1)).toThrow('already in progress')
    })
    // A run that threw leaves no dry state behind.
    expect(() => dry.dryRun(() => { throw new Error('boom') })).toThrow('boom')
    r.alerts.insert(alert('al-after'))
    expect(real.alerts.get('al-after')?.id).toBe('al-after')
  })
})
