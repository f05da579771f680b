import { z } from 'zod'
import { isValidId } from '../../gateway/src/core/topics.js'

/** What a device family's decoder returns for one accepted message. */
export interface DecodedEvent {
  readonly eventId: string
  readonly type: string
  /** Device time, epoch ms. */
  readonly at: number
}

/** A decoder either yields an event or explains, precisely, why it cannot. */
export type DecodeResult =
  | { readonly ok: true; readonly event: DecodedEvent }
  | { readonly ok: false; readonly reason: 'not_json' | 'bad_shape'; readonly message: string }

/** One example message and the event it must decode to; run by test/registry.test.ts. */
export interface DeviceExample {
  readonly payload: unknown
  readonly event: { readonly type: string }
}

/** A device type, declared as data (modelled on zigbee-herdsman-converters definitions). */
export interface DeviceTypeDefinition {
  /** Equals the file name in devices/ and the `type` key in configuration. */
  readonly id: string
  readonly vendor: string
  readonly model: string
  readonly description: string
  /** Wire family; selects the decoder. */
  readonly family: 'native-json'
  /** Canonical event types this device can send, with what each means. */
  readonly events: Readonly<Record<string, string>>
  readonly examples: readonly DeviceExample[]
}

/** A device type ready for the gateway: the definition plus its decoder. */
export interface DeviceAdapter extends DeviceTypeDefinition {
  decode(payload: Buffer): DecodeResult
}

const definitionSchema = z.object({
  id: z.string().refine(isValidId, 'id must be a lower-case id'),
  vendor: z.string().min(1),
  model: z.string().min(1),
  description: z.string().min(1),
  family: z.literal('native-json'),
  events: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'event types are snake_case'), z.string().min(1)),
  examples: z.array(z.object({ payload: z.unknown(), event: z.object({ type: z.string() }) })).min(1, 'declare at least one example'),
})

/**
 * Check a declaration and bind its family decoder. Throws a TypeError naming every problem
 * (a bad adapter is a start-up error, house-style §2.8).
 */
export function defineDeviceType(def: DeviceTypeDefinition, decode: (payload: Buffer) => DecodeResult): DeviceAdapter {
  const parsed = definitionSchema.safeParse(def)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new TypeError(`device type '${def.id}' is invalid: ${problems}`)
  }
  for (const ex of def.examples) {
    if (!(ex.event.type in def.events)) throw new TypeError(`device type '${def.id}': example event '${ex.event.type}' is not declared in events`)
  }
  return Object.freeze({ ...def, decode })
}
