import { describe, expect, it } from 'vitest'
import { type Alert, type AlertState, alertStates } from '../core/alert.js'
import { OPEN_BY_CONDITION_SQL, createAlertRepo } from './alert-repo.js'
import { openDatabase } from './db.js'

const alert = (id: string, state: AlertState, raisedAt: number, conditionKey = 'p-001/bed-exit'): Alert & { conditionKey: string } => ({
  id, siteId: 's1', personId: 'p-001', subject: null, deviceId: 'bed-r12', ruleId: 'bed-exit', ruleVersion: '1', kind: 'care', alertClass: 'BED EXIT',
  priority: 'high', state, raisedAt, updatedAt: raisedAt, acceptedBy: null, acceptedAt: null, triggerEventSeq: null, triggerCount: 1, escalationStep: 0,
  nextStepAt: null, resolvedBy: null, resolvedAt: null, closedBy: null, closedAt: null, outcome: null, outcomeNote: null, conditionKey,
})

const closed: readonly AlertState[] = ['resolved', 'cancelled', 'closed']

describe('the open alert of a condition (migration 008)', () => {
  it('is read from the partial index of open alerts: no scan of the condition\'s history, no sort', () => {
    const db = openDatabase(':memory:')
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${OPEN_BY_CONDITION_SQL}`).all('k') as { detail: string }[]).map((r) => r.detail)
    expect(plan).toEqual(['SEARCH alerts USING INDEX alerts_open_by_condition (condition_key=?)'])
  })

  it.each(alertStates.map((s) => [s, !closed.includes(s)] as const))('an alert in state %s is found: %s', (state, found) => {
    const repo = createAlertRepo(openDatabase(':memory:'))
    repo.insert(alert('a1', state, 1000))
    expect(repo.findOpenByCondition('p-001/bed-exit')?.id ?? null).toBe(found ? 'a1' : null)
  })

  it('finds the newest open alert among many closed ones, and none once it closes', () => {
    const repo = createAlertRepo(openDatabase(':memory:'))
    for (let i = 0; i < 300; i++) repo.insert(alert(`old-${i}`, closed[i % 3]!, i))
    repo.insert(alert('other', 'active', 5000, 'p-002/bed-exit'))
    repo.insert(alert('open-1', 'acknowledged', 400))
    repo.insert(alert('open-2', 'active', 500))
    expect(repo.findOpenByCondition('p-001/bed-exit')?.id).toBe('open-2')
    repo.update('open-2', { state: 'closed' })
    expect(repo.findOpenByCondition('p-001/bed-exit')?.id).toBe('open-1')
    repo.update('open-1', { state: 'resolved' })
    expect(repo.findOpenByCondition('p-001/bed-exit')).toBeNull()
  })
})
