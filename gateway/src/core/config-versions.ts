/**
 * The versioned configuration's storage contract (issue 7); the SQLite implementation is store/config-repo.ts.
 */
/** Where a configuration version came from. */
export type ConfigSource = 'file' | 'ui' | 'api'

/** One stored configuration version (a row of `config_versions`). */
export interface ConfigVersionRecord {
  readonly version: number
  readonly at: number
  readonly changedBy: string
  readonly note: string | null
  readonly approvedBy: string | null
  readonly source: ConfigSource
  /** The whole configuration document. */
  readonly document: unknown
  readonly fileHash: string | null
  /** What the change was (section, key, op), for listings without loading every document. */
  readonly summary: Readonly<Record<string, unknown>>
}

/** The version list without documents. */
export type ConfigVersionSummary = Omit<ConfigVersionRecord, 'document'>

/** Versioned configuration storage: append-only, the highest version is the active one. */
export interface ConfigRepository {
  latest(): ConfigVersionRecord | null
  /** The most recent version imported from the configuration file. */
  latestFromFile(): ConfigVersionRecord | null
  get(version: number): ConfigVersionRecord | null
  /** Newest first. */
  list(limit: number, beforeVersion?: number): ConfigVersionSummary[]
  /** Appends version `latest + 1` and returns its number. Call inside the committer's transaction. */
  append(v: Omit<ConfigVersionRecord, 'version'>): number
}
