import { z } from 'zod'
import { isValidId } from '../../gateway/src/core/topics.js'

/** One canonical event a decoder found in a message. */
export interface DecodedEvent {
  /** The device's idempotency key; null when the wire format has none (zigbee2mqtt): the gateway makes one. */
  readonly eventId: string | null
  readonly type: string
  /** Device time, epoch ms; null when the wire format carries none (the gateway uses receipt time). */
  readonly at: number | null
  /** Extra facts for the audit and device health: battery %, fault code, link quality. No personal data. */
  readonly detail?: Readonly<Record<string, unknown>>
}

/** A decoder yields zero or more events (and its new per-device state), or explains precisely why it cannot. */
export type DecodeResult =
  | { readonly ok: true; readonly events: readonly DecodedEvent[]; readonly state?: unknown }
  | { readonly ok: false; readonly reason: 'not_json' | 'bad_shape'; readonly message: string }

/** What a decoder may know besides the payload. */
export interface DecodeContext {
  /** This device's decoder state after its previous message (undefined for the first one): for edge detection. */
  readonly previous: unknown
  /** The topic below the device's own (zigbee2mqtt: 'availability'), or null. */
  readonly topicSuffix: string | null
}

/** One example message and the events it must decode to; run by test/registry.test.ts. */
export interface DeviceExample {
  readonly payload: unknown
  readonly topicSuffix?: string
  /** Decoder state before this message (to show edge detection). */
  readonly previous?: unknown
  readonly events: readonly { readonly type: string }[]
}

/** A technical event's alert: battery low, tamper, fault, mains failure. */
export interface TechnicalEvent {
  readonly alert_class: string
  readonly priority: 'high' | 'medium' | 'low'
  /** The event type that clears it (battery replaced, tamper closed), if the device sends one. */
  readonly cleared_by?: string
}

/** A device type, declared as data (modelled on zigbee-herdsman-converters definitions). */
export interface DeviceTypeDefinition {
  /** Equals the file name in devices/ and the `type` key in configuration. */
  readonly id: string
  readonly vendor: string
  readonly model: string
  readonly description: string
  /** Wire family: native JSON on care/<site>/device/<id>/event, zigbee2mqtt state topics, or a serial contact-input module. */
  readonly family: 'native-json' | 'zigbee2mqtt' | 'contact-module'
  /** Canonical event types this device can send, with what each means. */
  readonly events: Readonly<Record<string, string>>
  /** Events that are technical alerts in their own right (not care events for rules). */
  readonly technical?: Readonly<Record<string, TechnicalEvent>>
  /** Expected reporting: a message at least every `interval_s`, plus `grace_s`, or the device is "not reporting". */
  readonly supervision?: { readonly interval_s: number; readonly grace_s: number }
  readonly examples: readonly DeviceExample[]
}

/** A device type ready for the gateway: the definition plus its decoder. */
export interface DeviceAdapter extends DeviceTypeDefinition {
  decode(payload: Buffer, ctx: DecodeContext): DecodeResult
}

const definitionSchema = z.object({
  id: z.string().refine(isValidId, 'id must be a lower-case id'),
  vendor: z.string().min(1),
  model: z.string().min(1),
  description: z.string().min(1),
  family: z.enum(['native-json', 'zigbee2mqtt', 'contact-module']),
  events: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'event types are snake_case'), z.string().min(1)),
  technical: z.record(z.string(), z.object({ alert_class: z.string().regex(/^[A-Z0-9 /-]{1,24}$/), priority: z.enum(['high', 'medium', 'low']), cleared_by: z.string().optional() })).optional(),
  supervision: z.object({ interval_s: z.number().int().min(10), grace_s: z.number().int().min(0) }).optional(),
  examples: z.array(z.object({ payload: z.unknown(), topicSuffix: z.string().optional(), previous: z.unknown().optional(), events: z.array(z.object({ type: z.string() })) })).min(1, 'declare at least one example'),
})

/**
 * Check a declaration and bind its family decoder. Throws a TypeError naming every problem
 * (a bad adapter is a start-up error, house-style §2.8).
 */
export function defineDeviceType(def: DeviceTypeDefinition, decode: (payload: Buffer, ctx: DecodeContext) => DecodeResult): DeviceAdapter {
  const parsed = definitionSchema.safeParse(def)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new TypeError(`device type '${def.id}' is invalid: ${problems}`)
  }
  const declared = (t: string) => t in def.events
  for (const ex of def.examples) for (const e of ex.events) if (!declared(e.type)) throw new TypeError(`device type '${def.id}': example event '${e.type}' is not declared in events`)
  for (const [t, tech] of Object.entries(def.technical ?? {})) {
    if (!declared(t)) throw new TypeError(`device type '${def.id}': technical event '${t}' is not declared in events`)
    if (tech.cleared_by && !declared(tech.cleared_by)) throw new TypeError(`device type '${def.id}': '${t}' is cleared by undeclared event '${tech.cleared_by}'`)
  }
  return Object.freeze({ ...def, decode })
}
