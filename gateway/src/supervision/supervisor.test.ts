import { describe, expect, it } from 'vitest'
import { DeviceSupervisor } from './supervisor.js'

const S = 1000
const T0 = Date.UTC(2026, 10, 28, 12)
const windows = new Map([['pir-1', { intervalMs: 60 * S, graceMs: 30 * S }], ['pir-2', { intervalMs: 60 * S, graceMs: 30 * S }], ['off', { intervalMs: 0, graceMs: 0 }]])

describe('device supervision', () => {
  it('reports silence once, only past interval + grace, and never for a device that keeps reporting', () => {
    const s = new DeviceSupervisor(windows, T0)
    for (let t = 0; t <= 300; t += 30) s.seen('pir-2', T0 + t * S)
    expect(s.due(T0 + 90 * S)).toEqual([])
    expect(s.due(T0 + 91 * S)).toEqual([{ kind: 'silent', deviceId: 'pir-1', lastSeen: T0, windowMs: 90 * S }])
    expect(s.due(T0 + 300 * S)).toEqual([])
    expect(s.health('pir-1').online).toBe(false)
    expect(s.health('pir-2').online).toBe(true)
  })

  it('records restored on the next message, and ends the episode only after a steady window', () => {
    const s = new DeviceSupervisor(windows, T0)
    s.due(T0 + 100 * S)
    expect(s.seen('pir-1', T0 + 200 * S)).toEqual({ kind: 'restored', deviceId: 'pir-1', silentFor: 200 * S })
    expect(s.due(T0 + 250 * S)).toEqual([])
    s.seen('pir-1', T0 + 260 * S)
    expect(s.due(T0 + 291 * S)).toEqual([{ kind: 'stable', deviceId: 'pir-1' }])
  })

  it('a flapping device goes silent again before it is steady: no stable, another silent (folded into one alert upstream)', () => {
    const s = new DeviceSupervisor(windows, T0)
    const changes: string[] = []
    let t = 0
    for (let i = 0; i < 5; i++) {
      t += 100
      changes.push(...s.due(T0 + t * S).map((c) => c.kind))
      t += 5
      const r = s.seen('pir-1', T0 + t * S)
      if (r) changes.push(r.kind)
    }
    expect(changes.filter((c) => c === 'stable')).toEqual([])
    expect(changes.filter((c) => c === 'silent').length).toBeGreaterThan(1)
  })

  it('ignores devices with supervision switched off, and keeps the last battery level', () => {
    const s = new DeviceSupervisor(windows, T0)
    expect(s.due(T0 + 10_000 * S).map((c) => c.deviceId)).not.toContain('off')
    s.seen('pir-2', T0 + 10_001 * S, 42)
    expect(s.health('pir-2')).toMatchObject({ battery: 42 })
  })
})
