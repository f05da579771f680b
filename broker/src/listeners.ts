import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { TlsListenerOptions } from './options.js'

/** A bound listener. */
export interface Listener {
  readonly port: number
  /** Stop accepting now; resolves once every accepted socket has closed. */
  close(): Promise<void>
  /** Destroy every socket still open (after aedes has closed its clients). */
  destroyAll(): void
}

/** What a listener does with connections: admit or refuse each raw socket, then hand the MQTT stream to aedes. */
export interface ListenerHooks {
  /** Asked at TCP accept, before anything is read or any TLS handshake; false destroys the socket. */
  admit(socket: Socket): boolean
  /** The stream aedes speaks MQTT on: the socket itself, or the TLS socket once its handshake is done. */
  handle(stream: Socket | TLSSocket): void
  /** A TLS handshake failed (plaintext on the TLS port, no or a bad client certificate, a timeout). */
  tlsError?(err: Error & { code?: string }, address: string): void
}

/** Accept, track and tune every raw socket: with Nagle on, a QoS 1 hop stalls ~40 ms on delayed ACKs (issue 9). */
function accept(server: Server, hooks: ListenerHooks, sockets: Set<Socket>): void {
  server.prependListener('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.setNoDelay(true)
    if (!hooks.admit(socket)) socket.destroy()
  })
}

async function bind(server: Server, port: number, host: string, sockets: Set<Socket>): Promise<Listener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    destroyAll() {
      for (const s of sockets) s.destroy()
    },
  }
}

/** The plaintext MQTT listener. */
export function listenPlain(host: string, port: number, hooks: ListenerHooks): Promise<Listener> {
  const sockets = new Set<Socket>()
  const server = createTcpServer((socket) => {
    if (!socket.destroyed) hooks.handle(socket)
  })
  accept(server, hooks, sockets)
  return bind(server, port, host, sockets)
}

/** The mqtts listener: TLS 1.2 or later only; with `requestCert`, a valid client certificate is required (mTLS). */
export function listenTls(opts: TlsListenerOptions, handshakeTimeout: number, hooks: ListenerHooks): Promise<Listener> {
  const sockets = new Set<Socket>()
  const server = createTlsServer({
    key: opts.key,
    cert: opts.cert,
    ...(opts.ca ? { ca: opts.ca } : {}),
    requestCert: opts.requestCert ?? false,
    rejectUnauthorized: opts.requestCert ?? false,
    minVersion: 'TLSv1.2',
    handshakeTimeout,
  })
  accept(server, hooks, sockets)
  server.on('secureConnection', (tlsSocket: TLSSocket) => hooks.handle(tlsSocket))
  server.on('tlsClientError', (err: Error & { code?: string }, tlsSocket: TLSSocket) => {
    // ECONNRESET is a peer (or our own `admit`) hanging up mid-handshake: nothing to report.
    if (err.code !== 'ECONNRESET') hooks.tlsError?.(err, tlsSocket.remoteAddress ?? 'unknown')
    tlsSocket.destroy()
  })
  return bind(server, opts.port, opts.host, sockets)
}
