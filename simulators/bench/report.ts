import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './gateway-proc.js'
import { round } from './stats.js'

/** One reported figure: the median over runs, its bare-hop reference from the same runs, the ratio and the target. */
export interface Figure {
  readonly id: string
  readonly label: string
  readonly unit: 'ms' | 'events/s' | 'MiB'
  readonly value: number
  /** The bare reference's comparable number (the aedes hop's latency p50/p99 or throughput; for fan-out, the bare ws floor), median of the same runs. */
  readonly bare: number
  readonly ratio: number
  /** e.g. `<= 0.5`; null when the issue sets no target. */
  readonly target: string | null
  readonly pass: boolean | null
  /**
   * Only where the reference is a floor of the same path (the bare hop under figure 1's latency, the bare ws server
   * under fan-out): true when that floor alone, with no gateway logic, misses the target in these runs, so no gateway
   * can meet it on this machine in this hour. Null elsewhere.
   */
  readonly floor_misses: boolean | null
  readonly runs: number[]
}

export interface Environment {
  readonly date: string
  readonly commit: string
  readonly dirty: boolean
  readonly cpu: string
  readonly cores: number
  readonly ram_gib: number
  readonly node: string
  readonly aedes: string
  readonly better_sqlite3: string
  readonly ws: string
}

const version = (pkg: string) => (JSON.parse(readFileSync(join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version

export function environment(): Environment {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim()
  return {
    date: new Date().toISOString(), commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, ram_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version, aedes: version('aedes'), better_sqlite3: version('better-sqlite3'), ws: version('ws'),
  }
}

export function checkTarget(value: number, target: string | null): boolean | null {
  if (target === null || !Number.isFinite(value)) return target === null ? null : false
  const [op, n] = target.split(' ') as ['<=' | '>=', string]
  return op === '<=' ? value <= Number(n) : value >= Number(n)
}

export function writeResults(file: string, results: object): void {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n')
}

function verdict(f: Figure): string {
  if (f.pass === null) return '—'
  if (f.pass) return 'pass'
  return f.floor_misses ? '**miss** (so does the bare reference alone)' : '**miss**'
}

/** Append one Markdown section to BENCHMARKS.md: the environment line and one row per figure. */
export function appendMarkdown(env: Environment, mode: string, runs: number, figures: readonly Figure[], note: string | null): string {
  const file = join(repoRoot, 'BENCHMARKS.md')
  if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\nAppended by `npm run bench` (see README, "Benchmarks"). Each value is the median of the runs; the bare hop is measured in the same run.\n')
  const fmt = (v: number) => (Number.isFinite(v) ? String(round(v)) : 'n/a')
  const rows = figures.map((f) => `| ${f.label} | ${fmt(f.value)} ${f.unit} | ${fmt(f.bare)} | ${fmt(f.ratio)}× | ${f.target ?? '—'} | ${verdict(f)} |`)
  const md = [
    '',
    `## ${env.date.slice(0, 16).replace('T', ' ')} UTC, ${env.commit}${env.dirty ? ' (uncommitted changes)' : ''}, ${mode}, ${runs} run(s)`,
    '',
    `${env.cpu}, ${env.cores} cores, ${env.ram_gib} GiB; Node ${env.node}, aedes ${env.aedes}, better-sqlite3 ${env.better_sqlite3}, ws ${env.ws}.${note ? ` ${note}` : ''}`,
    '',
    '| figure | median | bare reference | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
  appendFileSync(file, md)
  return md
}
