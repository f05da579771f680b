/**
 * Import-direction rules (house-style §2.3), checked by reading every .ts file and its import specifiers:
 * static imports and re-exports, dynamic `import()`, and `import('…')` types.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const scanned = ['gateway/src', 'broker/src', 'device-adapters/src', 'pager-bridge/src', 'simulators']
const stages = ['ingest', 'normalise', 'rules', 'lifecycle', 'routing', 'audit', 'suppression']

interface ImportRef {
  readonly specifier: string
  /** Repo-relative target without extension, or null for a package import. */
  readonly target: string | null
  readonly typeOnly: boolean
}

/** Every import specifier in one source file. `file` is repo-relative, with forward slashes. */
function importsOf(file: string, source: string): ImportRef[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const refs: ImportRef[] = []
  const add = (specifier: string, typeOnly: boolean) => {
    const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.(js|ts|mjs|cjs)$/, '') : null
    refs.push({ specifier, target, typeOnly })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined
      const allInlineTypes = !!c && !c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)
      add(node.moduleSpecifier.text, !!c && (c.isTypeOnly || allInlineTypes))
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined
      add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)))
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      add(node.arguments[0].text, false)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return refs
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`)

/** The rules, as data: each names who it applies to and which import it forbids, with the reason. */
const compositionRoots = ['gateway/src/main.ts', 'gateway/src/registry-context.ts', 'gateway/src/cli/', 'gateway/src/compose/', 'gateway/src/replay/replay-worker.ts']

const rules: { name: string; appliesToTests: boolean; applies: (file: string) => boolean; forbids: (ref: ImportRef, file: string) => boolean }[] = [
  {
    name: 'gateway/src/core imports nothing in the repo outside core',
    appliesToTests: false,
    applies: (f) => under(f, 'gateway/src/core'),
    forbids: (r) => r.target !== null && !under(r.target, 'gateway/src/core'),
  },
  {
    name: 'stage folders import only their own folder, ../core/ and (type-only) ../config/',
    appliesToTests: false,
    applies: (f) => stages.some((s) => under(f, `gateway/src/${s}`)),
    forbids: (r, f) => {
      if (r.target === null) return false
      const own = `gateway/src/${f.split('/')[2]}`
      if (under(r.target, own) || under(r.target, 'gateway/src/core')) return false
      return !(under(r.target, 'gateway/src/config') && r.typeOnly)
    },
  },
  { name: 'broker/ never imports gateway/', appliesToTests: true, applies: (f) => under(f, 'broker'), forbids: (r) => r.target !== null && under(r.target, 'gateway') },
  {
    name: 'simulators never import gateway/, device-adapters/, pager-bridge/ or broker/',
    appliesToTests: true,
    applies: (f) => under(f, 'simulators'),
    forbids: (r) => r.target !== null && ['gateway', 'device-adapters', 'pager-bridge', 'broker'].some((d) => under(r.target!, d)),
  },
  {
    name: 'device-adapters and pager-bridge import from gateway only gateway/src/core',
    appliesToTests: true,
    applies: (f) => under(f, 'device-adapters') || under(f, 'pager-bridge'),
    forbids: (r) => r.target !== null && under(r.target, 'gateway') && !under(r.target, 'gateway/src/core'),
  },
  {
    // Composition roots are process or thread entry points: the gateway, its command-line tools
    // (gateway/src/cli/), the replay worker, and the one file that lists the registries for them.
    name: 'only composition roots import broker/, device-adapters/src/index, pager-bridge/src/index or store/',
    appliesToTests: false,
    applies: (f) => !compositionRoots.some((root) => f === root || (root.endsWith('/') && f.startsWith(root))),
    forbids: (r, f) => {
      if (r.target === null) return false
      const owned = [['broker', 'broker'], ['device-adapters/src/index', 'device-adapters'], ['pager-bridge/src/index', 'pager-bridge'], ['gateway/src/store', 'gateway/src/store']]
      return owned.some(([target, home]) => under(r.target!, target!) && !under(f, home!))
    },
  },
]

function violations(file: string, source: string): string[] {
  const isTest = file.endsWith('.test.ts')
  return rules.flatMap((rule) =>
    rule.applies(file) && (rule.appliesToTests || !isTest)
      ? importsOf(file, source).filter((ref) => rule.forbids(ref, file)).map((ref) => `${file}: '${ref.specifier}' breaks "${rule.name}"`)
      : [],
  )
}

function listTs(dir: string): string[] {
  let entries: import('node:fs').Dirent[]
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((e) => (e.isDirectory() ? (e.name === 'node_modules' ? [] : listTs(`${dir}/${e.name}`)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [`${dir}/${e.name}`] : []))
}

const files = scanned.flatMap(listTs)
const read = (f: string) => readFileSync(join(root, f), 'utf8')

describe('architecture: import directions', () => {
  it('finds the source files and their imports (guards against a vacuous pass)', () => {
    expect(files).toEqual(expect.arrayContaining(['gateway/src/main.ts', 'gateway/src/pipeline.ts', 'gateway/src/core/errors.ts', 'broker/src/broker.ts', 'device-adapters/src/index.ts', 'pager-bridge/src/index.ts']))
    const main = importsOf('gateway/src/main.ts', read('gateway/src/main.ts')).map((r) => r.target)
    expect(main).toEqual(expect.arrayContaining(['gateway/src/compose/device-broker', 'device-adapters/src/index', 'gateway/src/compose/pager-lines', 'gateway/src/store/index', 'gateway/src/pipeline', 'gateway/src/core/effects']))
    // The broker runs on its own thread, started by the composition root's device-broker module.
    expect(importsOf('gateway/src/compose/broker-thread-worker.ts', read('gateway/src/compose/broker-thread-worker.ts')).map((r) => r.target)).toContain('broker/src/index')
  })

  it.each<[string, string, string, number]>([
    ['gateway/src/core/x.ts', "import { a } from '../config/schema.js'", 'core reaching into config', 1],
    ['gateway/src/core/x.ts', "import { z } from 'zod'", 'core using a package', 0],
    ['gateway/src/rules/x.ts', "import { a } from '../lifecycle/alert-service.js'", 'a stage importing another stage', 1],
    ['gateway/src/rules/x.ts', "import { a } from '../config/schema.js'", 'a stage importing config values', 1],
    ['gateway/src/rules/x.ts', "import { type A, type B } from '../config/schema.js'\nimport type { C } from '../config/load.js'", 'a stage importing config types', 0],
    ['gateway/src/lifecycle/x.ts', "const s = await import('../store/index.js')", 'a stage importing the store dynamically', 2],
    ['gateway/src/pipeline.ts', "let x: import('./store/db.js').Db", 'pipeline naming a store type', 1],
    ['broker/src/x.ts', "export { a } from '../../gateway/src/core/topics.js'", 'the broker re-exporting gateway code', 1],
    ['simulators/devices/bed.ts', "import { decodeNativeJson } from '../../device-adapters/src/families/native-json.js'", 'a simulator sharing adapter code', 1],
    ['device-adapters/src/x.ts', "import { normalise } from '../../gateway/src/normalise/normalise.js'", 'an adapter importing a gateway stage', 1],
    ['device-adapters/src/x.ts', "import { isValidId } from '../../gateway/src/core/topics.js'", 'an adapter importing gateway core', 0],
    ['gateway/src/http/x.ts', "import { deviceAdapters } from '../../../device-adapters/src/index.js'", 'a non-root file importing the adapter registry', 1],
    ['gateway/src/rules/x.test.ts', "import { x } from '../../../test/contracts/in-memory-repos.js'", 'a stage test using shared test helpers', 0],
  ])('%s with `%s` (%s) gives %i violation(s)', (file, source, _why, count) => {
    expect(violations(file, source)).toHaveLength(count)
  })

  it.each(rules.map((r) => [r.name]))('%s', (name) => {
    const rule = rules.find((r) => r.name === name)!
    const found = files.filter((f) => rule.applies(f) && (rule.appliesToTests || !f.endsWith('.test.ts'))).flatMap((f) =>
      importsOf(f, read(f)).filter((ref) => rule.forbids(ref, f)).map((ref) => `${f}: '${ref.specifier}'`),
    )
    expect(found).toEqual([])
  })

  it('pipeline.ts does not import the store', () => {
    expect(importsOf('gateway/src/pipeline.ts', read('gateway/src/pipeline.ts')).filter((r) => r.target && under(r.target, 'gateway/src/store'))).toEqual([])
  })
})
