import { z } from 'zod'
import { definePagerDriver } from '../define.js'

export const config = z.object({}).strict()

/**
 * The soft pager: the gateway's own web page on a carer's phone, live over WebSocket. "Sent" means the
 * page is in the gateway's outbox and pushed to any open screen; a screen that connects later receives
 * it in its snapshot. The page itself confirms delivery, and accept/decline come back from it.
 */
export default definePagerDriver({
  protocol: 'soft',
  config,
  create(_cfg, deps) {
    const push = deps.pushToScreens
    if (!push) throw new TypeError('the soft pager driver needs "pushToScreens"')
    return {
      async send(page) {
        push(page)
        return { ok: true }
      },
      async close() {},
    }
  },
})
