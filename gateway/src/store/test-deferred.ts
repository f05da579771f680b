/** A promise with its settle functions exposed, for tests that decide when an operation completes. */
export interface Deferred<T> {
  readonly promise: Promise<T>
  readonly resolve: (v: T) => void
  readonly reject: (e: unknown) => void
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** One turn of the event loop: work scheduled with setImmediate (a committer's flush, a fake's promise chain) has run after it. */
export const nextTurn = () => new Promise<void>((r) => setImmediate(r))

/** The state of a promise, readable synchronously: its value once resolved, its error once rejected. */
export function track<T>(p: Promise<T>) {
  const t: { state: 'pending' | 'resolved' | 'rejected'; value: T | undefined; error: unknown } = { state: 'pending', value: undefined, error: undefined }
  p.then(
    (v) => {
      t.state = 'resolved'
      t.value = v
    },
    (e: unknown) => {
      t.state = 'rejected'
      t.error = e
    },
  )
  return t
}
