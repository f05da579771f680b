import Database from 'better-sqlite3'
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gatewayError } from '../core/errors.js'

export type Db = Database.Database

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations')

/**
 * Open the gateway database with the durability the product promises, and prove it:
 * WAL with `synchronous=FULL` (better-sqlite3's build defaults WAL to NORMAL, which can roll back the
 * last commits on power loss; reliability-security.md §3). Throws GW_ERR_STORE_DURABILITY otherwise.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  // Health-related personal data: readable by the gateway's account only (SQLite gives its -wal and -shm
  // files the database file's permissions).
  if (file !== ':memory:') chmodSync(file, 0o600)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  assertDurable(db, file)
  migrate(db)
  // After migrating (a migration may build an index over a large table): from here on a transaction's statements
  // never touch the disk before COMMIT (statement journals and sorts in memory, no spilling of dirty pages). So a
  // store that refuses writes (disk full, read-only, I/O error) fails a group at its COMMIT, after every item has
  // run and planned its pages, which are then still sent (store/group-commit.ts `onUnstored`).
  db.pragma('temp_store = MEMORY')
  db.pragma('cache_spill = OFF')
  return db
}

/** Read the settings back; an in-memory database cannot use WAL and is accepted for unit tests only. */
function assertDurable(db: Db, file: string): void {
  const mode = db.pragma('journal_mode', { simple: true })
  const sync = db.pragma('synchronous', { simple: true })
  if (file !== ':memory:' && mode !== 'wal') throw gatewayError('GW_ERR_STORE_DURABILITY', [`journal_mode is ${String(mode)}, expected wal`])
  if (sync !== 2) throw gatewayError('GW_ERR_STORE_DURABILITY', [`synchronous is ${String(sync)}, expected 2 (FULL)`])
}

/** Apply migrations/NNN-name.sql in order, each once, each in its own transaction. */
function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
  const files = readdirSync(migrationsDir).filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f)).sort()
  for (const f of files) {
    const version = Number(f.slice(0, 3))
    if (applied.has(version)) continue
    const sql = readFileSync(join(migrationsDir, f), 'utf8')
    db.transaction(() => {
      db.exec(sql)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, f, Date.now())
    })()
  }
}
