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
