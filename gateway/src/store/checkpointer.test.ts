import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCheckpointer } from './checkpointer.js'
import { type Db, openDatabase } from './db.js'

let dir: string
let file: string
let db: Db
const log = pino({ level: 'silent' })
const autocheckpoint = () => db.pragma('wal_autocheckpoint', { simple: true })
/** A worker module given as a data: URL (the worker bootstrap imports whatever module it is given). */
const fakeWorker = (source: string) => new URL(`data:text/javascript,${encodeURIComponent(source)}`)

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-ckpt-'))
  file = join(dir, 'gateway.db')
  db = openDatabase(file)
})
afterEach(() => {
  if (db.open) db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('checkpointer', () => {
  it('copies the WAL into the database file from its own thread; the main connection only finishes at 2,000 pages', async () => {
    const c = await startCheckpointer(db, file, log, 20)
    expect(c.running).toBe(true)
    expect(autocheckpoint()).toBe(2000)
    db.exec('CREATE TABLE t (x BLOB)')
    const insert = db.prepare('INSERT INTO t VALUES (randomblob(3000))')
    db.transaction(() => { for (let i = 0; i < 200; i++) insert.run() })()
    // 600 KB of rows, far below 2,000 pages: only the thread's checkpoints can have put them in the database file.
    const before = statSync(file).size
    for (let i = 0; i < 200 && statSync(file).size < before + 600_000; i++) await new Promise((res) => setTimeout(res, 25))
    expect(statSync(file).size).toBeGreaterThan(before + 600_000)
    await c.stop()
    await c.stop() // harmless twice
    expect(c.running).toBe(false)
  })

  it('a thread that cannot start leaves SQLite checkpointing on the main thread, and the gateway starts anyway', async () => {
    const c = await startCheckpointer(db, file, log, 20, fakeWorker("throw new Error('no checkpoint thread today')"))
    expect(c.running).toBe(false)
    expect(autocheckpoint()).toBe(1000)
    await c.stop()
  })

  it('a thread that dies hands checkpoints back to the main thread, and stop() then returns at once', async () => {
    const c = await startCheckpointer(db, file, log, 20, fakeWorker("import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ kind: 'ready' }); setTimeout(() => process.exit(3), 20)"))
    expect(autocheckpoint()).toBe(2000)
    for (let i = 0; i < 100 && c.running; i++) await new Promise((res) => setTimeout(res, 10))
    expect(c.running).toBe(false)
    expect(autocheckpoint()).toBe(1000)
    await c.stop()
  })
})
