import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWalSyncThread } from './wal-sync-thread.js'
import { WalSync } from './wal-sync.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-walthread-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the WAL sync thread', () => {
  it('fdatasyncs and counts links on its own thread, for a descriptor the main thread opened', async () => {
    const ops = await startWalSyncThread()
    const file = join(dir, 'a-wal')
    writeFileSync(file, 'frames')
    const fd = openSync(file, 'r+')
    try {
      await ops.fdatasync(fd)
      expect(await ops.links(fd)).toBe(1)
      expect(await ops.syncThenLinks!(fd)).toBe(1)
      rmSync(file)
      expect(await ops.links(fd)).toBe(0)
      expect(await ops.syncThenLinks!(fd)).toBe(0)
    } finally {
      closeSync(fd)
      await ops.stop()
    }
  })

  it('reports the errno of a failed fdatasync (EBADF for a closed descriptor)', async () => {
    const ops = await startWalSyncThread()
    try {
      const fd = openSync(join(dir, 'b-wal'), 'w')
      closeSync(fd)
      await expect(ops.fdatasync(fd)).rejects.toMatchObject({ code: 'EBADF' })
      await expect(ops.syncThenLinks!(fd)).rejects.toMatchObject({ code: 'EBADF' })
    } finally {
      await ops.stop()
    }
  })

  it('once stopped, every call fails, so a WalSync on it refuses to acknowledge anything more', async () => {
    const ops = await startWalSyncThread()
    const file = join(dir, 'c-wal')
    writeFileSync(file, '')
    const wal = new WalSync(file, ops)
    await wal.sync()
    await ops.stop()
    await expect(wal.sync()).rejects.toThrow(/exited/)
    await expect(wal.sync()).rejects.toThrow(/exited/)
    expect(wal.failure).not.toBeNull()
    await wal.close()
  })

  it('syncs the successor when SQLite replaced the -wal file it holds, in one round trip a sync', async () => {
    const ops = await startWalSyncThread()
    const file = join(dir, 'd-wal')
    writeFileSync(file, 'first')
    const calls: string[] = []
    const counted = { ...ops, fdatasync: (fd: number) => (calls.push('fdatasync'), ops.fdatasync(fd)), links: (fd: number) => (calls.push('links'), ops.links(fd)), syncThenLinks: (fd: number) => (calls.push('syncThenLinks'), ops.syncThenLinks!(fd)), open: (p: string) => (calls.push('open'), ops.open(p)) }
    const wal = new WalSync(file, counted)
    try {
      await wal.sync()
      expect(calls).toEqual(['open', 'syncThenLinks'])
      rmSync(file)
      writeFileSync(file, 'second')
      calls.length = 0
      await wal.sync()
      expect(calls).toEqual(['syncThenLinks', 'open', 'fdatasync'])
    } finally {
      await wal.close()
      await ops.stop()
    }
  })
})
