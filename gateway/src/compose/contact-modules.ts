import type { Logger } from 'pino'
import { ContactModuleInput, contactModuleConfig } from '../../../device-adapters/src/index.js'
import { openPort } from '../../../pager-bridge/src/index.js'
import type { GatewayConfig } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import type { DeviceEvent } from '../core/event.js'
import { type GatewayError, gatewayError } from '../core/errors.js'

export interface ContactModuleCallbacks {
  readonly ingest: (event: Omit<DeviceEvent, 'seq'>) => Promise<unknown>
  readonly reject: (source: string, deviceId: string | null, error: GatewayError, detail: Record<string, unknown>) => Promise<unknown>
  readonly linkHealth: (inputId: string, site: string, state: 'up' | 'down', reason: string) => void
}

/**
 * Start one reader per serial contact-input module (docs/contact-module-protocol.md): each debounced
 * channel change becomes the mapped device's event; a garbled or unknown line is rejected and audited;
 * a silent module raises a technical alert like any other input link.
 */
export async function startContactModules(config: Readonly<GatewayConfig>, clock: Clock, log: Logger, cb: ContactModuleCallbacks): Promise<{ close(): Promise<void> }> {
  const modules: ContactModuleInput[] = []
  let counter = 0
  for (const raw of config.inputs.filter((i) => i.protocol === 'contact-module')) {
    const { protocol: _p, ...settings } = raw
    const cfg = contactModuleConfig.parse(settings)
    const failed = (err: unknown) => log.error({ err, input: cfg.id }, 'recording a contact-module message failed')
    const m = new ContactModuleInput(cfg, {
      openPort,
      log: log.child({ input: cfg.id }),
      onLink: (state, reason) => cb.linkHealth(cfg.id, cfg.site, state, reason),
      onReject: (reason, rawHex) => void cb.reject(`input:${cfg.id}`, null, gatewayError('GW_ERR_INPUT_BAD_SHAPE', [`contact module ${cfg.id}: ${reason}`]), { input: cfg.id, hex: rawHex }).catch(failed),
      onEvent: (channel, deviceId, type, detail) => {
        const now = clock.now()
        void cb.ingest({ siteId: cfg.site, deviceId, eventId: `${cfg.id}-${now.toString(36)}-${(counter++).toString(36)}`, type, deviceAt: now, receivedAt: now, detail: { ...detail, channel } }).catch(failed)
      },
    })
    await m.start()
    modules.push(m)
  }
  return { close: async () => void (await Promise.all(modules.map((m) => m.close().catch(() => undefined)))) }
}
