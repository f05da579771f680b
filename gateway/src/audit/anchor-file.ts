import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs'
import type { Anchor } from './chain.js'

/**
 * Chain heads appended to a file, one JSON line each. The gateway only ever opens it for appending
 * (O_APPEND), never rewrites it; for protection from a compromised host, point `--audit-anchor-file` at
 * storage the gateway's account cannot rewrite (an append-only mount, a log shipper's spool), and also
 * watch the retained MQTT anchor topic from another machine.
 */
export function appendAnchor(path: string, anchor: Anchor): void {
  const fd = openSync(path, 'a', 0o640)
  try {
    writeSync(fd, JSON.stringify({ seq: anchor.seq, hash: anchor.hash, at: new Date(anchor.at).toISOString() }) + '\n')
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Every well-formed anchor in the file, and how many lines were not (reported, never silently skipped). */
export function readAnchors(path: string): { anchors: Anchor[]; malformed: number } {
  if (!existsSync(path)) return { anchors: [], malformed: 0 }
  const anchors: Anchor[] = []
  let malformed = 0
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue
    try {
      const a = JSON.parse(line) as { seq?: unknown; hash?: unknown; at?: unknown }
      const at = typeof a.at === 'string' ? Date.parse(a.at) : NaN
      if (typeof a.seq === 'number' && Number.isInteger(a.seq) && typeof a.hash === 'string' && /^[0-9a-f]{64}$/.test(a.hash) && !Number.isNaN(at)) anchors.push({ seq: a.seq, hash: a.hash, at })
      else malformed++
    } catch {
      malformed++
    }
  }
  return { anchors, malformed }
}
