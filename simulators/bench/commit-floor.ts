import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleep, summarise, type Summary } from './stats.js'

/**
 * The durable-commit floor on this disk, measured in the same run as the figures: one row committed under WAL +
 * synchronous=FULL (the gateway's settings), isolated (`gapMs` apart, as the timed alarms are) and back to back.
 * Every gateway latency includes at least one such commit before its effects and its PUBACK.
 */
export async function measureCommitFloor(samples: number, gapMs: number): Promise<{ isolated: Summary; back_to_back: Summary }> {
  const dir = mkdtempSync(join(tmpdir(), 'care-gw-bench-fsync-'))
  const db = new Database(join(dir, 'floor.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)')
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)')
    const commit = db.transaction(() => insert.run('x'.repeat(300)))
    const time = () => {
      const t = performance.now()
      commit()
      return performance.now() - t
    }
    const isolated: number[] = []
    for (let i = 0; i < samples; i++) {
      isolated.push(time())
      await sleep(gapMs)
    }
    const back: number[] = []
    for (let i = 0; i < samples; i++) back.push(time())
    return { isolated: summarise(isolated), back_to_back: summarise(back) }
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
