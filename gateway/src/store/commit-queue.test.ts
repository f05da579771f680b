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

describe('CommitQueue: urgent work goes first unless earlier waiting work may be about the same person', () => {
  const cases: [string, Push[], string[], string[]][] = [
    ['an alarm read after routine events of other people goes first', [['hb1', 'p1', false], ['hb2', 'p2', false], ['alarm', 'p3', true]], ['alarm'], ['hb1', 'hb2']],
    ['an alarm waits behind earlier work about the same person', [['hb1', 'p1', false], ['alarm', 'p1', true]], [], ['hb1', 'alarm']],
    ['later work about the person of an urgent alarm runs after it', [['alarm', 'p1', true], ['clear', 'p1', false]], ['alarm'], ['clear']],
    ['two alarms keep their order in the urgent lane', [['hb', 'p9', false], ['a1', 'p1', true], ['a2', 'p2', true]], ['a1', 'a2'], ['hb']],
    ['an alarm behind a held-back alarm of the same person is held back too', [['hb', 'p1', false], ['a1', 'p1', true], ['a2', 'p1', true]], [], ['hb', 'a1', 'a2']],
    ['work without a key (a command, a configuration change) may be about anyone: it holds an alarm back', [['config', undefined, false], ['alarm', 'p1', true]], [], ['config', 'alarm']],
    ['urgent work without a key waits behind anything', [['hb', 'p1', false], ['x', undefined, true]], [], ['hb', 'x']],
    ['urgent work without a key could be about anyone: it goes with the rest', [['x', undefined, true], ['hb', 'p1', false]], [], ['x', 'hb']],
    ['an audit-only row (key "", nobody) never holds an alarm back', [['frame', '', false], ['alarm', 'p1', true]], ['alarm'], ['frame']],
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
    q.push({ id: 'hb2', key: 'p1' }, false)
    q.requeue(taken.urgent, taken.rest)
    q.push({ id: 'a4', key: 'p1' }, true)
    const { urgent, rest } = q.take()
    // a2 came while hb1 was out: put back, hb1 holds it, ahead of hb2 that came after it.
    expect(urgent.map((x) => x.id)).toEqual(['a1', 'a3'])
    expect(rest.map((x) => x.id)).toEqual(['hb1', 'a2', 'hb2', 'a4'])
  })

  it('property: everything pushed is taken once; lanes keep arrival order; urgent work passes only work about someone else', () => {
    const push = fc.tuple(fc.option(fc.constantFrom('p1', 'p2', 'p3'), { nil: undefined }), fc.boolean())
    fc.assert(fc.property(fc.array(push, { maxLength: 40 }), (raw) => {
      const pushes: Push[] = raw.map(([key, urgent], i) => [`w${i}`, key, urgent])
      const { urgent, rest } = run(pushes)
      expect([...urgent, ...rest].sort()).toEqual(pushes.map((p) => p[0]).sort())
      const at = (id: string) => pushes.findIndex((p) => p[0] === id)
      const byArrival = (ids: string[]) => [...ids].sort((a, b) => at(a) - at(b))
      expect(urgent).toEqual(byArrival(urgent))
      expect(rest).toEqual(byArrival(rest))
      const mustWait = (u: Push, e: Push) => e[1] === undefined || e[1] === u[1]
      for (const id of urgent) {
        const u = pushes[at(id)]!
        expect(u[2]).toBe(true)
        expect(u[1]).toBeDefined()
        // Nothing it passed (earlier, in the other lane) may be about the same person.
        for (const e of pushes.slice(0, at(id))) if (rest.includes(e[0])) expect(mustWait(u, e)).toBe(false)
      }
      // Urgent work left in the rest was held back by earlier work it must wait for.
      for (const p of pushes) {
        if (!p[2] || urgent.includes(p[0]) || p[1] === undefined) continue
        expect(pushes.slice(0, at(p[0])).some((e) => rest.includes(e[0]) && mustWait(p, e))).toBe(true)
      }
    }))
  })

  it('property: work put back at any point (the lock held elsewhere) never lets anything pass what it must wait for', () => {
    const push = fc.tuple(fc.option(fc.constantFrom('p1', 'p2', 'p3'), { nil: undefined }), fc.boolean())
    fc.assert(fc.property(fc.array(push, { maxLength: 30 }), fc.nat(30), fc.nat(30), (raw, a, b) => {
      const pushes: Push[] = raw.map(([key, urgent], i) => [`w${i}`, key, urgent])
      const [takeAt, requeueAt] = [Math.min(a, b, pushes.length), Math.min(Math.max(a, b), pushes.length)]
      const q = new CommitQueue<Item>()
      const put = (p: Push) => q.push(p[1] === undefined ? { id: p[0] } : { id: p[0], key: p[1] }, p[2])
      pushes.slice(0, takeAt).forEach(put)
      const taken = q.take()
      pushes.slice(takeAt, requeueAt).forEach(put)
      q.requeue(taken.urgent, taken.rest)
      pushes.slice(requeueAt).forEach(put)
      const { urgent, rest } = q.take()
      const order = [...urgent, ...rest].map((x) => x.id)
      expect([...order].sort()).toEqual(pushes.map((p) => p[0]).sort())
      // Two pieces of work whose order carries meaning (the same person, or one of them about anyone) keep it.
      const pos = new Map(order.map((id, i) => [id, i]))
      for (let i = 0; i < pushes.length; i++) {
        for (let j = i + 1; j < pushes.length; j++) {
          const [x, y] = [pushes[i]!, pushes[j]!]
          if (x[1] === undefined || y[1] === undefined || x[1] === y[1]) expect(pos.get(x[0])!).toBeLessThan(pos.get(y[0])!)
        }
      }
    }))
  })
})
