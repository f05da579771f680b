/**
 * Counts failed sign-ins per key (a user id, a client address) in a sliding window and locks the key
 * once it reaches its limit, so passwords cannot be guessed online (NIST SP 800-63B §5.2.2). In memory:
 * a restart clears it, which is acceptable because every attempt is audited anyway.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>()
  constructor(private readonly limit: number, private readonly windowMs: number, private readonly maxKeys = 10_000) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  lockedFor(key: string, now: number): number {
    const recent = this.recent(key, now)
    if (recent.length < this.limit) return 0
    return recent[recent.length - this.limit]! + this.windowMs - now
  }

  fail(key: string, now: number): void {
    const recent = this.recent(key, now)
    recent.push(now)
    if (!this.failures.has(key) && this.failures.size >= this.maxKeys) this.prune(now)
    this.failures.set(key, recent)
  }

  /**
   * Takes back one failure recorded at `at`. Attempts are counted as failures BEFORE the (slow) password
   * check, so parallel guesses cannot all slip in under the limit; a success then takes its count back.
   */
  undo(key: string, at: number): void {
    const list = this.failures.get(key)
    const i = list?.lastIndexOf(at) ?? -1
    if (list && i >= 0) list.splice(i, 1)
  }

  /** Bounded memory without letting floods of made-up keys push out a key that is still counting. */
  private prune(now: number): void {
    for (const [k, times] of this.failures) if (!times.some((t) => now - t < this.windowMs)) this.failures.delete(k)
    if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value!)
  }

  /** A successful sign-in clears the user's count (not the address's: one right password must not unlock guessing others). */
  clear(key: string): void {
    this.failures.delete(key)
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs)
  }
}
