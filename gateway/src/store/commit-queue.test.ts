import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CommitQueue } from './commit-queue.js'

interface Item { readonly id: string; readonly key?: string }
type Push = readonly [id: string, key: string | undefined, urgent: boolean]

function run(pushes: readonly Push[]) {
  const q = new CommitQueue<Item>()
  for (const [id, key, urgent] of pushes) q.push(key === undefined ? { id } : { id, key }, urgent)
  const { urgent, rest } = q.take()
  return { urgent: urgent.map((x) => x.id), rest: rest.map((x) => x.id), left: q.size }
}

describe('CommitQueue: urgent work goes first unless earlier work with its key is waiting', () => {
  const cases: [string, Push[], string[], string[]][] = [
    ['an alarm read after routine events of other people goes first', [['hb1', 'p1', false], ['hb2', 'p2', false], ['alarm', 'p3', true]], ['alarm'], ['hb1', 'hb2']],
    ['an alarm waits behind earlier work about the same person', [['hb1', 'p1', false], ['alarm', 'p1', true]], [], ['hb1', 'alarm']],
    ['later work about the person of an urgent alarm runs after it', [['alarm', 'p1', true], ['clear', 'p1', false]], ['alarm'], ['clear']],
    ['two alarms keep their order in the urgent lane', [['hb', 'p9', false], ['a1', 'p1', true], ['a2', 'p2', true]], ['a1', 'a2'], ['hb']],
    ['an alarm behind a held-back alarm of the same person is held back too', [['hb', 'p1', false], ['a1', 'p1', true], ['a2', 'p1', true]], [], ['hb', 'a1', 'a2']],
    ['work without a key never holds an alarm back', [['config', undefined, false], ['alarm', 'p1', true]], ['alarm'], ['config']],
    ['nothing urgent: arrival order', [['a', 'p1', false], ['b', undefined, false], ['c', 'p2', false]], [], ['a', 'b', 'c']],
  ]
  it.each(cases)('%s', (_name, pushes, urgent, rest) => {
    expect(run(pushes)).toEqual({ urgent, rest, left: 0 })
  })

  it('work put back (the write lock was held elsewhere) stays ahead of what came since, and still holds alarms back', () => {
    const q = new CommitQueue<Item>()
    q.push({ id: 'hb1', key: 'p1' }, false)
    q.push({ id: 'a1', key: 'p2' }, true)
    const taken = q.take()
    q.push({ id: 'a2', key: 'p1' }, true) // p1's heartbeat is not committed yet: must not be passed
    q.push({ id: 'a3', key: 'p3' }, true)
    q.requeue(taken.urgent, taken.rest)
    q.push({ id: 'a4', key: 'p1' }, true)
    const { urgent, rest } = q.take()
    expect(urgent.map((x) => x.id)).toEqual(['a1', 'a2', 'a3'])
    expect(rest.map((x) => x.id)).toEqual(['hb1', 'a4'])
  })

  it('property: everything pushed is taken once; per key, work keeps its arrival order; only urgent work is in the urgent lane', () => {
    const push = fc.tuple(fc.option(fc.constantFrom('p1', 'p2', 'p3'), { nil: undefined }), fc.boolean())
    fc.assert(fc.property(fc.array(push, { maxLength: 40 }), (raw) => {
      const pushes: Push[] = raw.map(([key, urgent], i) => [`w${i}`, key, urgent])
      const { urgent, rest } = run(pushes)
      const order = [...urgent, ...rest]
      expect([...order].sort()).toEqual(pushes.map((p) => p[0]).sort())
      const pos = new Map(order.map((id, i) => [id, i]))
      for (const key of ['p1', 'p2', 'p3']) {
        const ids = pushes.filter((p) => p[1] === key).map((p) => p[0])
        expect(ids.map((id) => pos.get(id))).toEqual([...ids.map((id) => pos.get(id)!)].sort((a, b) => a - b))
      }
      const wasUrgent = new Set(pushes.filter((p) => p[2]).map((p) => p[0]))
      for (const id of urgent) expect(wasUrgent.has(id)).toBe(true)
      // And an urgent item is held back only by earlier non-urgent-lane work with its key.
      for (const [id, key, u] of pushes) {
        if (!u || urgent.includes(id) || key === undefined) continue
        const earlier = pushes.slice(0, pushes.findIndex((p) => p[0] === id)).filter((p) => p[1] === key && rest.includes(p[0]))
        expect(earlier.length).toBeGreaterThan(0)
      }
    }))
  })
})
