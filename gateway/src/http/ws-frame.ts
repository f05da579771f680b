/** One WebSocket text message, serialised once: its payload, and the whole frame as it goes on the wire. */
export interface TextFrame {
  readonly payload: Buffer
  readonly wire: Buffer
}

/**
 * An unfragmented, unmasked text frame (RFC 6455 §5.2: FIN, opcode 0x1, no mask from a server; the 7-bit length,
 * or 126 + 16-bit, or 127 + 64-bit, in network byte order), built once and written to many connections.
 */
export function textFrame(text: string): TextFrame {
  const payload = Buffer.from(text, 'utf8')
  const n = payload.length
  const header = n < 126 ? 2 : n < 65_536 ? 4 : 10
  const wire = Buffer.allocUnsafe(header + n)
  wire[0] = 0x81
  if (n < 126) wire[1] = n
  else if (n < 65_536) {
    wire[1] = 126
    wire.writeUInt16BE(n, 2)
  } else {
    wire[1] = 127
    wire.writeBigUInt64BE(BigInt(n), 2)
  }
  payload.copy(wire, header)
  return { payload, wire }
}
