import { z } from 'zod'
import { definePagerDriver } from '../define.js'

export const config = z.object({}).strict()

/**
 * The soft pager: the gateway's own web page on a carer's phone, live over WebSocket. "Sent" means the
 * page is in the gateway's outbox and pushed to any open screen; a screen that connects later receives
 * it in its snapshot. The page itself confirms delivery, and accept/decline come back from it. It has
 * no line that can go down, which makes it the usual fallback for serial pagers.
 */
export default definePagerDriver({
  protocol: 'soft',
  usesLine: false,
  maxText: 512,
  config,
  create(_cfg, deps) {
    const push = deps.pushToScreens
    if (!push) throw new TypeError('the soft pager driver needs "pushToScreens"')
    return {
      async send(page) {
        push(page)
        return { ok: true }
      },
      health: () => 'up',
      async close() {},
    }
  },
})
