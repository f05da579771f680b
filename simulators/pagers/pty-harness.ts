import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { ByteReader, createPtyPair, openLink, type Link, type LinkOptions } from '../lib/serial-link.js'

/**
 * Test scaffolding for the pager simulators: real pty pairs (socat) and a hand-written byte script on the
 * far end. Everything opened is closed in afterEach, in reverse order (links, then simulators, then socat).
 */
export function ptyHarness() {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    const errors: unknown[] = []
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => errors.push(err))
    cleanups.length = 0
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed')
  })
  return {
    /** A fresh pty pair in its own temp directory. */
    async pair(): Promise<{ a: string; b: string }> {
      const dir = await mkdtemp(join(tmpdir(), 'pager-sim-'))
      cleanups.push(() => rm(dir, { recursive: true, force: true }))
      const pair = await createPtyPair(dir)
      cleanups.push(() => pair.close())
      return pair
    },
    /** The hand-written end: a link plus a reader with bounded waits. */
    async wire(spec: string, opts: LinkOptions = {}): Promise<{ link: Link; rd: ByteReader; send: (hex: string) => void }> {
      const link = await openLink(spec, opts)
      cleanups.push(() => link.close())
      const rd = new ByteReader(link)
      return { link, rd, send: (hex: string) => link.write(Buffer.from(hex.replace(/\s+/g, ''), 'hex')) }
    },
    /** Register anything else to close (a simulator's stop()). */
    defer<T extends { stop(): Promise<void> }>(thing: T): T {
      cleanups.push(() => thing.stop())
      return thing
    },
  }
}
