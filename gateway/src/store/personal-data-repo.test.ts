import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyStoredTrail } from './audit-integrity.js'
import { createRepositories, openDatabase } from './index.js'
import { createPersonalDataRepo } from './personal-data-repo.js'

function world() {
  const db = openDatabase(':memory:')
  const key = randomBytes(32)
  return { db, key, repos: createRepositories(db, { auditKey: key }), personal: createPersonalDataRepo(db) }
}

describe('the audit trail with personal text kept apart', () => {
  it('writes a reference into the row, the text into personal_data for the row\'s person, and resolves it on read', () => {
    const { db, repos } = world()
    repos.audit.append({ at: 1, kind: 'alert.transition', actor: 'user:c-amy', alertId: 'al-1', personId: 'p-002', detail: { to: 'closed', note: 'found by the wardrobe' } })
    const raw = db.prepare('SELECT detail FROM audit').pluck().get() as string
    expect(raw).not.toContain('wardrobe')
    expect(JSON.parse(raw)).toEqual({ to: 'closed', note_ref: expect.stringMatching(/^pd-[0-9a-f-]{36}$/) })
    expect(db.prepare('SELECT person_id, kind, value FROM personal_data').get()).toEqual({ person_id: 'p-002', kind: 'close_note', value: '"found by the wardrobe"' })
    expect(repos.audit.search({ limit: 10 })[0]!.detail).toMatchObject({ note: 'found by the wardrobe' })
    expect(repos.audit.forAlert('al-1')[0]!.detail).toMatchObject({ note: 'found by the wardrobe' })
  })

  it('ties text on a row without a person to its alert\'s person', () => {
    const { db, repos } = world()
    db.prepare("INSERT INTO alerts (id, site_id, person_id, rule_id, rule_version, condition_key, kind, alert_class, priority, state, raised_at, updated_at) VALUES ('al-9', 'oak-house', 'p-009', 'r', 'v', 'k', 'care', 'BED EXIT', 'low', 'new', 1, 1)").run()
    repos.audit.append({ at: 2, kind: 'notification.transition', actor: 'gateway', alertId: 'al-9', detail: { to: 'queued', text: 'R9 BED EXIT' } })
    repos.audit.append({ at: 3, kind: 'pager.frame', actor: 'line:espa-1', alertId: null, detail: { hex: '0102' } })
    expect(db.prepare('SELECT person_id, kind FROM personal_data ORDER BY created_at').all()).toEqual([{ person_id: 'p-009', kind: 'pager_text' }, { person_id: null, kind: 'pager_frame' }])
  })

  it('after the person\'s data is deleted the rows show "(erased)" and the chain still verifies', () => {
    const { db, key, repos, personal } = world()
    for (let i = 0; i < 5; i++) repos.audit.append({ at: i, kind: 'suppression.set', actor: 'user:tl-kim', personId: i % 2 ? 'p-001' : 'p-002', detail: { kind: 'away', reason: `reason ${i}` } })
    expect(personal.forPerson('p-002').map((p) => p.value)).toEqual(['reason 0', 'reason 2', 'reason 4'])
    expect(personal.deleteForPerson('p-002')).toBe(3)
    expect(repos.audit.search({ limit: 10 }).map((r) => r.detail.reason)).toEqual(['(erased)', 'reason 1', '(erased)', 'reason 3', '(erased)'])
    expect(verifyStoredTrail(db, key, [])).toMatchObject({ ok: true, rowsChecked: 5 })
  })
})
