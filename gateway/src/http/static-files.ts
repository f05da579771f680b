import { readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.md': 'text/plain; charset=utf-8',
}

export interface StaticFile {
  readonly body: Buffer
  readonly type: string
}

/**
 * The web app's files, read once at start. Only files that exist in the folder at start are served,
 * so no request path ever reaches the file system (no traversal).
 */
export function loadStaticFiles(dir: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>()
  let names: string[] = []
  try {
    names = readdirSync(dir)
  } catch {
    return files
  }
  for (const name of names) {
    const type = types[extname(name)]
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type })
  }
  return files
}
