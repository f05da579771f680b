import { readdirSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { buildSync } from 'esbuild'

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

/** Top-level scripts are page entry points; shared modules live in `lib/` and are bundled into them. */
const isEntry = (name: string) => (name.endsWith('.js') || name.endsWith('.ts')) && !name.endsWith('.d.ts') && !name.includes('.test.')

/**
 * The web app's files, built once at start. Each top-level script (`pager.js`, `admin.ts`…) is bundled
 * with esbuild into `/assets/<name>.js`, so pages can import the server's own zod schemas and a typed
 * module tree without a separate build step (`npm start` builds it in well under a second). Other files
 * (HTML, CSS) are served as they are. Only what exists at start is served, so no request path ever
 * reaches the file system (no traversal).
 */
export function loadStaticFiles(dir: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>()
  let names: string[] = []
  try {
    names = readdirSync(dir)
  } catch {
    return files
  }
  const entries = names.filter(isEntry)
  if (entries.length) {
    const out = buildSync({
      entryPoints: entries.map((n) => join(dir, n)),
      bundle: true, format: 'esm', target: 'es2022', platform: 'browser', write: false, outdir: '/out',
      // Minified (the configuration screens carry zod: 800 kB as source, a third of that minified), with
      // source maps beside them so the browser's developer tools still show the real code.
      minify: true, sourcemap: 'linked', legalComments: 'none', logLevel: 'silent',
    })
    for (const f of out.outputFiles) files.set(basename(f.path), { body: Buffer.from(f.contents), type: f.path.endsWith('.map') ? 'application/json; charset=utf-8' : types['.js']! })
  }
  for (const name of names) {
    if (isEntry(name)) continue
    const type = types[extname(name)]
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type })
  }
  return files
}
