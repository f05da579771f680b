import { describe, expect, it } from 'vitest'
import { type Attempt, nextRate } from './sustained-search.js'

const k = (rate: number): Attempt => ({ rate, kept: true })
const f = (rate: number): Attempt => ({ rate, kept: false })

describe('the sustained-throughput search', () => {
  it.each<[string, Attempt[], number | null]>([
    ['starts at 90 % of the saturated rate', [], 18_000],
    ['steps up 15 % when the first try is carried (the closed loop is not a ceiling)', [k(18_000)], 20_700],
    ['keeps stepping up while everything is carried', [k(18_000), k(20_700)], 23_804],
    ['then bisects between the carried rate and the failure above it, from below', [k(18_000), f(20_700)], 19_350],
    ['steps down 15 % while nothing is carried', [f(18_000)], 15_300],
    ['keeps stepping down', [f(18_000), f(15_300)], 13_005],
    ['then bisects between the carried rate and the failure above it', [f(18_000), k(15_300)], 16_650],
    ['narrows from above', [f(18_000), k(15_300), f(16_650)], 15_975],
    ['narrows from below', [f(18_000), k(15_300), k(16_650)], 17_325],
    ['stops within 5 % of the carried rate', [f(16_000), k(15_300)], null],
    ['ignores a failure below the best carried rate', [f(18_000), k(15_300), f(14_000)], 16_650],
  ])('%s', (_name, tried, next) => {
    expect(nextRate(20_000, tried, 6)).toBe(next)
  })

  it('stops after the last attempt', () => {
    expect(nextRate(20_000, [f(18_000), f(15_300), f(13_005)], 3)).toBeNull()
  })
})
