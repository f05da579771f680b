import { describe, expect, it } from 'vitest'
import { createCommands } from './commands.js'
import { isGatewayError } from './core/errors.js'
import { pipelineOverStore } from '../../test/helpers/pipeline-over-store.js'

/**
 * Setting suppressions through the API (POST /api/suppressions reaches commands.suppress): a carer-present suppression
 * lasts at most as long as the person's presence button would hold it (`presence_timeout_s`), whoever sets it; the
 * other kinds keep the 14-day limit. A refusal is audited as `command.refused`, like every refused command.
 */
describe('commands.suppress: how long a suppression may last', () => {
  const over = pipelineOverStore()
  const site = 'oak-house'
  const config = {
    sites: [{ id: site }],
    people: [
      { id: 'p-1', site, room_code: 'R1', carers: ['c-amy'], rules: [] },
      { id: 'p-2', site, room_code: 'R2', carers: ['c-amy'], rules: [], presence_timeout_s: 600 },
    ],
    devices: [{ id: 'btn-r2', type: 'presence-button', site, person: 'p-2' }],
    users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }, { id: 'tl-kim', role: 'team_leader', display_name: 'Kim' }],
    pagers: [{ id: 'soft-amy', user: 'c-amy', protocol: 'soft' }],
  }

  function setUp() {
    const { pipeline, db, repos, committer, index } = over(config)
    const commands = createCommands({ index, repos, transact: (run, recover) => committer.submit(run, recover), lifecycle: pipeline.lifecycle, suppressionDeps: pipeline.suppressionDeps })
    const refusals = () => db.prepare("SELECT actor, json_extract(detail, '$.command') AS command, json_extract(detail, '$.code') AS code, json_extract(detail, '$.reason') AS reason FROM audit WHERE kind = 'command.refused' ORDER BY seq").all()
    const set = () => db.prepare("SELECT count(*) FROM audit WHERE kind = 'suppression.set'").pluck().get() as number
    return { commands, refusals, set }
  }
  const now = Date.UTC(2026, 0, 14, 3)
  const refusal = (error: unknown) => (isGatewayError(error) ? { code: error.code, message: error.message } : error)
  const over1800 = "a carer_present suppression may last at most 1800 s, as long as a presence button's (people/p-1/presence_timeout_s); this one would last 1801 s"

  it.each([
    { who: 'c-amy', target: { person_id: 'p-1' }, cap: 1800, name: 'a carer, for a person with the default 1800 s' },
    { who: 'tl-kim', target: { person_id: 'p-1' }, cap: 1800, name: 'a team leader too' },
    { who: 'c-amy', target: { device_id: 'btn-r2' }, cap: 600, name: 'a carer, on a device of a person whose presence_timeout_s is 600' },
  ])('carer_present by $name: exactly the presence timeout is accepted', async ({ who, target, cap }) => {
    const { commands, refusals } = setUp()
    const s = await commands.suppress(who, { kind: 'carer_present', ...target, reason: 'personal care', expiresAt: now + cap * 1000 }, now)
    expect(s.expiresAt - s.setAt).toBe(cap * 1000)
    expect(refusals()).toEqual([])
  })

  it.each([
    { who: 'c-amy', target: { person_id: 'p-1' }, name: 'person p-1', message: over1800 },
    { who: 'tl-kim', target: { person_id: 'p-1' }, name: 'person p-1', message: over1800 },
    { who: 'c-amy', target: { device_id: 'btn-r2' }, name: 'device btn-r2 (person p-2, 600 s)', message: "a carer_present suppression may last at most 600 s, as long as a presence button's (people/p-2/presence_timeout_s); this one would last 601 s" },
  ])('carer_present by $who on $name one second over the presence timeout is refused, audited, and nothing is set', async ({ who, target, message }) => {
    const { commands, refusals, set } = setUp()
    const cap = 'device_id' in target ? 600 : 1800
    const error = await commands.suppress(who, { kind: 'carer_present', ...target, reason: 'personal care', expiresAt: now + (cap + 1) * 1000 }, now).catch((e: unknown) => e)
    expect(refusal(error)).toEqual({ code: 'GW_ERR_API_BAD_REQUEST', message })
    expect(refusals()).toEqual([{ actor: `user:${who}`, command: 'suppress carer_present', code: 'GW_ERR_API_BAD_REQUEST', reason: message }])
    expect(set()).toBe(0)
  })

  it('away and maintenance keep the 14-day limit (team leaders), and carers still may not set them', async () => {
    const { commands } = setUp()
    const days14 = now + 14 * 86_400_000
    await expect(commands.suppress('tl-kim', { kind: 'away', person_id: 'p-1', reason: 'in hospital', expiresAt: days14 }, now)).resolves.toMatchObject({ kind: 'away', expiresAt: days14 })
    await expect(commands.suppress('tl-kim', { kind: 'maintenance', device_id: 'btn-r2', reason: 'battery swap', expiresAt: days14 }, now)).resolves.toMatchObject({ kind: 'maintenance', expiresAt: days14 })
    const error = await commands.suppress('c-amy', { kind: 'away', person_id: 'p-1', reason: 'x', expiresAt: now + 600_000 }, now).catch((e: unknown) => e)
    expect(refusal(error)).toEqual({ code: 'GW_ERR_AUTH_FORBIDDEN', message: "role 'carer' may not set a 'away' suppression for this person" })
  })
})
