import { describe, expect, it } from 'vitest'
import { commitLane, type UrgentRules } from './commit-lane.js'

const urgent: UrgentRules = new Map([['seizure_alarm', new Map([['sz-1', ['p-1/seizure']], ['sz-2', ['p-2/seizure', 'p-2/seizure-night']]])]])
const open = (keys: string[]) => (c: string) => keys.includes(c)

describe('commitLane: which events go ahead of routine work', () => {
  const cases: [string, string, string, (c: string) => boolean, { key: string; urgent?: boolean }][] = [
    ['a seizure alarm whose alert is not open pages: urgent', 'sz-1', 'seizure_alarm', open([]), { key: 'p-1', urgent: true }],
    ['the same alarm with its alert open pages nobody', 'sz-1', 'seizure_alarm', open(['p-1/seizure']), { key: 'p-1', urgent: false }],
    ['two rules raise on it, one alert open: the other pages', 'sz-2', 'seizure_alarm', open(['p-2/seizure']), { key: 'p-2', urgent: true }],
    ['a heartbeat: no such rule', 'sz-1', 'heartbeat', open([]), { key: 'p-1' }],
    ['an alarm type from a device no such rule watches', 'pir-9', 'seizure_alarm', open([]), { key: 'p-1' }],
    ['the store cannot be read (a failing disk): the alarm goes first', 'sz-1', 'seizure_alarm', () => { throw new Error('SQLITE_IOERR') }, { key: 'p-1', urgent: true }],
  ]
  it.each(cases)('%s', (_name, device, type, isOpen, lane) => {
    expect(commitLane(urgent, isOpen, device, 'p-' + (device.endsWith('2') ? '2' : '1'), type)).toEqual(lane)
  })
})
