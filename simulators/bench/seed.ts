import Database from 'better-sqlite3'
import { createHash, randomBytes, scrypt } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { staff } from './bench-config.js'
import { repoRoot, startGateway } from './gateway-proc.js'

/**
 * Pre-seeded data directories. A gateway issues a credential for every device on first start, one scrypt hash
 * (N=2^14, 16 MiB, ~32 ms here) after another, and verifies one per device on its first CONNECT: 20,000 devices
 * would cost ~11 minutes to issue and ~5 more to connect, every run. So each fleet's data directory is made once
 * and cached: the gateway itself starts on it (migrations, user tokens at full strength), then the bench adds
 * the device credentials in the gateway's own hash format `scrypt$N$r$p$salt$hash` with N=2^10 (1 MiB).
 * Production issuance is unchanged; `provisioningCost()` measures what full-strength hashing costs.
 */
export const BENCH_SCRYPT_N = 1024

export interface Seeded {
  /** Template directory; copy it, never run a gateway on it. */
  readonly dir: string
  readonly devices: Record<string, string>
  readonly users: Record<string, string>
}

const cacheRoot = join(tmpdir(), 'care-gw-bench')

function scryptHash(secret: string, n: number): Promise<string> {
  const salt = randomBytes(16)
  return new Promise((res, rej) => scrypt(secret, salt, 32, { N: n, r: 8, p: 1, maxmem: 64 << 20 }, (err, key) => (err ? rej(err) : res(`scrypt$${n}$8$1$${salt.toString('base64')}$${key.toString('base64')}`))))
}

/** Hashes of what decides a template's content: the device list, the migrations, the credential format. */
function templateKey(name: string, deviceIds: readonly string[]): string {
  const h = createHash('sha256').update(deviceIds.join(','))
  const migrations = join(repoRoot, 'gateway', 'src', 'store', 'migrations')
  for (const f of readdirSync(migrations).sort()) h.update(readFileSync(join(migrations, f)))
  return `${name}-${deviceIds.length}-${h.digest('hex').slice(0, 12)}`
}

/**
 * A hash of the code that decides what the gateway writes for the bench's events: gateway/src (its developer tools
 * in cli/ aside), device-adapters/src, and the bench configuration's rules; tests aside. A template the gateway
 * filled with events (the crash test's million rows) depends on it, not only on the migrations: one filled before
 * routine events became digests held a million audit rows, and the recovery figure was measured on that.
 */
export function gatewayCodeKey(): string {
  const h = createHash('sha256')
  const add = (path: string) => h.update(path.slice(repoRoot.length)).update(readFileSync(path))
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, e.name)
      if (e.isDirectory()) {
        if (path !== join(repoRoot, 'gateway', 'src', 'cli')) walk(path)
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) add(path)
    }
  }
  walk(join(repoRoot, 'gateway', 'src'))
  walk(join(repoRoot, 'device-adapters', 'src'))
  add(join(repoRoot, 'simulators', 'bench', 'bench-config.ts'))
  return h.digest('hex').slice(0, 12)
}

/** The template for this fleet, made on first use (~1 s per 1,000 devices). */
export async function seededTemplate(name: string, deviceIds: readonly string[]): Promise<Seeded> {
  const dir = join(cacheRoot, templateKey(name, deviceIds))
  const credsFile = join(dir, 'bench-credentials.json')
  if (existsSync(credsFile)) return { dir, ...(JSON.parse(readFileSync(credsFile, 'utf8')) as Omit<Seeded, 'dir'>) }
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // 1. The gateway migrates the database and issues the users' tokens (three scrypt hashes at full strength).
  const seedConfig = join(dir, 'seed-config.json')
  writeFileSync(seedConfig, JSON.stringify({ ...staff(false), people: [], devices: [] }))
  const gw = await startGateway({ config: seedConfig, dataDir: dir })
  await gw.stop('SIGTERM')
  const users = (JSON.parse(readFileSync(join(dir, 'new-credentials.json'), 'utf8')) as { users: Record<string, string> }).users
  // 2. Device credentials, hashed in parallel on the libuv pool.
  const devices: Record<string, string> = {}
  const rows: [string, string][] = []
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < deviceIds.length) {
      const id = deviceIds[next++]!
      const secret = randomBytes(24).toString('base64url')
      devices[id] = secret
      rows.push([id, await scryptHash(secret, BENCH_SCRYPT_N)])
    }
  }))
  const db = new Database(join(dir, 'gateway.db'))
  const put = db.prepare("INSERT INTO credentials (principal, kind, secret_hash, created_at) VALUES (?, 'device', ?, ?)")
  db.transaction(() => {
    for (const [id, hash] of rows) put.run(id, hash, Date.now())
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  rmSync(join(dir, 'probe.json'), { force: true })
  writeFileSync(credsFile, JSON.stringify({ devices, users }))
  return { dir, devices, users }
}

/** A fresh working copy of a template in `into`. */
export function copyTemplate(t: Seeded, into: string): string {
  const dir = join(into, 'data')
  cpSync(t.dir, dir, { recursive: true })
  return dir
}

/** Full-strength scrypt (the gateway's N=2^14, r=8) for `n` secrets, one after another then four at a time: ms each. */
export async function provisioningCost(n = 20): Promise<{ hash_ms: number; parallel_hashes_per_s: number }> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await scryptHash('x', 16_384)
  const serial = (performance.now() - t0) / n
  const t1 = performance.now()
  await Promise.all(Array.from({ length: n }, () => scryptHash('x', 16_384)))
  return { hash_ms: serial, parallel_hashes_per_s: (n * 1000) / (performance.now() - t1) }
}
