import type { Logger } from 'pino'

/** How long identical refusals from one unidentified actor fold into one audit row. */
const FOLD_MS = 60_000

/**
 * Refusals are audited, but a flood of identical ones from someone unidentified (a script hammering without
 * credentials, a device reconnecting with a bad password) must not fill an 8-year trail: for those, per actor
 * and reason, one row a minute carrying how many were folded into it. A signed-in user's refusals each get a row.
 */
export function createRefusalAuditor(deps: { now: () => number; log: Logger; append: (at: number, actor: string, detail: Record<string, unknown>) => Promise<unknown> }) {
  const windows = new Map<string, { until: number; folded: number }>()
  return (actor: string, what: string, reason: string): void => {
    const now = deps.now()
    const key = `${actor}\0${reason}`
    const identified = actor.startsWith('user:')
    const w = identified ? undefined : windows.get(key)
    if (w && now < w.until) {
      w.folded++
      return
    }
    if (windows.size > 10_000) for (const [k, v] of windows) if (v.until <= now) windows.delete(k)
    if (!identified) windows.set(key, { until: now + FOLD_MS, folded: 0 })
    deps.log.warn({ actor, what, reason }, 'access refused')
    const folded = w?.folded ?? 0
    deps.append(now, actor, { what, reason, ...(folded ? { same_refusals_in_previous_minute: folded } : {}) }).catch((err: unknown) => deps.log.error({ err }, 'could not audit a refusal'))
  }
}
