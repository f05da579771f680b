import { describe, expect, it } from 'vitest'
import { GatewayError } from '../core/errors.js'
import { registryContext } from '../registry-context.js'
import { parseConfig } from './load.js'

/** Issue 3: an impossible rule is rejected at load time with a precise message naming the field. */
function configWith(rules: unknown[], extraDevices: unknown[] = []) {
  return {
    sites: [{ id: 'oak-house' }],
    people: [
      { id: 'p-1', site: 'oak-house', room_code: 'R1', carers: ['c-a'], rules },
      { id: 'p-2', site: 'oak-house', room_code: 'R2', carers: ['c-a'] },
    ],
    devices: [
      { id: 'bed-1', type: 'bed-monitor', site: 'oak-house', person: 'p-1' },
      { id: 'pir-2', type: 'pir-motion', site: 'oak-house', person: 'p-2' },
      ...extraDevices,
    ],
    users: [{ id: 'c-a', role: 'carer', display_name: 'A' }],
    pagers: [{ id: 'soft-a', user: 'c-a', protocol: 'soft' }],
  }
}

function problems(rules: unknown[], extraDevices: unknown[] = []): string[] {
  try {
    parseConfig(configWith(rules, extraDevices), registryContext)
  } catch (err) {
    return ((err as GatewayError).details.problems as string[]) ?? []
  }
  return []
}

const bed = { id: 'r', kind: 'bed_exit', device: 'bed-1', delay_s: 90 }

describe('impossible rules are rejected at load', () => {
  it.each([
    ['a window of zero length', { ...bed, active_hours: [{ from: '21:00', to: '21:00' }] }, 'people.0.rules.0.active_hours.0: a window from a time to the same time has zero length'],
    ['a time that is not HH:MM', { ...bed, active_hours: [{ from: '9pm', to: '07:00' }] }, 'people.0.rules.0.active_hours.0.from: times are "HH:MM", 24-hour'],
    ['an empty active-hours list', { ...bed, active_hours: [] }, 'people.0.rules.0.active_hours: list at least one window'],
    ['a delay longer than the re-arm time', { ...bed, rate_limit: { rearm_s: 60 } }, 'people.0.rules.0.rate_limit.rearm_s: the 90 s delay is longer than the 60 s re-arm time'],
    ["a device the person does not have", { ...bed, device: 'pir-2' }, "people.0.rules.0.device: device 'pir-2' belongs to person 'p-2', not to this person"],
    ['an unknown device', { ...bed, device: 'ghost' }, "people.0.rules.0.device: unknown device 'ghost'"],
    ['an event the device never sends', { id: 'r', kind: 'immediate', device: 'bed-1', on: 'seizure_alarm', alert_class: 'SEIZURE' }, "people.0.rules.0.on: device type 'bed-monitor' never sends 'seizure_alarm', so this rule can never fire"],
    ["an event none of the person's devices sends", { id: 'r', kind: 'inactivity', on: ['motion'], period_s: 7200, priority: 'low', alert_class: 'NO MOVEMENT' }, "people.0.rules.0.on.0: none of this person's devices sends 'motion', so this rule can never fire"],
    ['start and cancel the same', { id: 'r', kind: 'delay_confirm', device: 'bed-1', start: 'out_of_bed', cancel: 'out_of_bed', delay_s: 30, priority: 'medium', alert_class: 'UP' }, 'people.0.rules.0.cancel: start and cancel are the same event, so the rule can never fire'],
    ['an expected window of zero length', { id: 'r', kind: 'expected_by', device: 'bed-1', expect: 'in_bed', from: '23:00', by: '23:00', priority: 'medium', alert_class: 'NOT IN BED' }, 'people.0.rules.0.by: the expected window from a time to the same time has zero length'],
    ['a count of one', { id: 'r', kind: 'count_in_window', device: 'bed-1', on: 'out_of_bed', count: 1, window_s: 60, priority: 'low', alert_class: 'UP' }, 'people.0.rules.0.count:'],
  ])('rejects %s', (_what, rule, expected) => {
    expect(problems([rule]).join('\n')).toContain(expected)
  })

  it('accepts a rule for any of the person’s devices when no device is named, if one of them sends the events', () => {
    expect(problems([{ id: 'r', kind: 'inactivity', on: ['motion'], period_s: 7200, priority: 'low', alert_class: 'NO MOVEMENT', active_hours: [{ from: '09:00', to: '17:00' }] }], [{ id: 'pir-1', type: 'pir-motion', site: 'oak-house', person: 'p-1' }])).toEqual([])
  })

  it('reports several impossible rules at once', () => {
    const found = problems([{ ...bed, id: 'a', active_hours: [{ from: '21:00', to: '21:00' }] }, { ...bed, id: 'b', rate_limit: { rearm_s: 10 } }, { ...bed, id: 'a' }])
    expect(found.length).toBeGreaterThanOrEqual(2)
  })
})
