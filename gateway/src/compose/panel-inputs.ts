import type { Logger } from 'pino'
import { EspaPanelInput, espaInputConfig, openPort, type PanelCall } from '../../../pager-bridge/src/index.js'
import type { GatewayConfig } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import type { DeviceEvent } from '../core/event.js'
import { type GatewayError, gatewayError } from '../core/errors.js'

export interface PanelInputCallbacks {
  readonly ingest: (event: Omit<DeviceEvent, 'seq'>) => Promise<unknown>
  readonly reject: (source: string, deviceId: string | null, error: GatewayError, detail: Record<string, unknown>) => Promise<unknown>
  readonly linkHealth: (inputId: string, site: string, state: 'up' | 'down', reason: string) => void
  readonly frame: (inputId: string, direction: 'tx' | 'rx', bytes: Buffer, what: string) => void
}

/**
 * Start one listener per configured nurse-call panel input. A panel call becomes a device event of the
 * mapped `nurse-call-point` (`nurse_call`, or `nurse_call_reset` for ESPA call type 1, which clears the
 * source); an unmapped call address is rejected precisely and audited, never dropped silently.
 */
export async function startPanelInputs(config: Readonly<GatewayConfig>, clock: Clock, log: Logger, cb: PanelInputCallbacks): Promise<{ close(): Promise<void> }> {
  const inputs: EspaPanelInput[] = []
  let counter = 0
  for (const raw of config.inputs.filter((i) => i.protocol === 'espa')) {
    const { protocol: _p, ...settings } = raw
    const cfg = espaInputConfig.parse(settings)
    const input = new EspaPanelInput(cfg, {
      openPort,
      log: log.child({ input: cfg.id }),
      onLink: (state, reason) => cb.linkHealth(cfg.id, cfg.site, state, reason),
      onFrame: (dir, bytes, what) => cb.frame(cfg.id, dir, bytes, what),
      onCall: (call: PanelCall) => {
        const now = clock.now()
        const deviceId = cfg.addresses[call.address]
        const failed = (err: unknown) => log.error({ err, input: cfg.id }, 'recording a panel call failed')
        if (!deviceId) {
          void cb.reject(`input:${cfg.id}`, null, gatewayError('GW_ERR_INPUT_UNKNOWN_DEVICE', [`panel call address ${call.address}`]), { input: cfg.id, address: call.address, hex: call.raw.toString('hex') }).catch(failed)
          return
        }
        const type = call.callType === '1' ? 'nurse_call_reset' : 'nurse_call'
        void cb.ingest({ siteId: cfg.site, deviceId, eventId: `${cfg.id}-${now.toString(36)}-${(counter++).toString(36)}`, type, deviceAt: now, receivedAt: now }).catch(failed)
      },
    })
    await input.start()
    inputs.push(input)
  }
  return { close: async () => void (await Promise.all(inputs.map((i) => i.close().catch(() => undefined)))) }
}
