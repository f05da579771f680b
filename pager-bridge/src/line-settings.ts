import { z } from 'zod'
import type { LineSettings } from './ports.js'

/**
 * The zod fields every serial line shares (port and framing), with the protocol's own defaults: ESPA's
 * "common-modern" 9600 8N1, TAP's 1200 7E1 (protocols.md §1.2, §2). One definition, so a new setting or a
 * changed range reaches every driver and input alike.
 */
export function serialLineFields(defaults: { baudRate: number; dataBits: 7 | 8; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2 }) {
  return {
    /** Serial device path or tcp://host:port (serial device server). */
    port: z.string().min(1),
    baud_rate: z.number().int().min(300).max(115_200).default(defaults.baudRate),
    data_bits: z.union([z.literal(7), z.literal(8)]).default(defaults.dataBits),
    parity: z.enum(['none', 'even', 'odd']).default(defaults.parity),
    stop_bits: z.union([z.literal(1), z.literal(2)]).default(defaults.stopBits),
  }
}

/** The ESPA framing fields shared by the output driver and the panel input (§1.5: 7-bit BCC, character set). */
export const espaFramingFields = {
  /** Compare the BCC in 7 bits (7-bit links). */
  seven_bit: z.boolean().default(false),
  encoding: z.enum(['latin1', 'ascii']).default('latin1'),
}

/** Port settings as `openPort` takes them. */
export function lineSettings(c: { baud_rate: number; data_bits: 7 | 8; parity: 'none' | 'even' | 'odd'; stop_bits: 1 | 2 }): LineSettings {
  return { baudRate: c.baud_rate, dataBits: c.data_bits, parity: c.parity, stopBits: c.stop_bits }
}
