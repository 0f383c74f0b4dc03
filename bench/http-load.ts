/**
 * A lean HTTP/1.1 keep-alive load client for the benches: one socket per client, one
 * request in flight per socket, the response read by its Content-Length. node:http's
 * client costs ~50-130 µs of CPU per request on the bench machine, about as much as the
 * server it measures, and on 2 shared cores that cost lands in the server's latency.
 * This one costs a fraction of that, so the figures say more about the server (as with
 * clients on other machines).
 *
 * @example
 * const c = await LeanClient.connect(new URL('http://127.0.0.1:7070'))
 * const { status, bytes } = await c.request('GET', '/healthz')
 * c.close()
 */
import { connect, type Socket } from 'node:net'

const HEADER_END = Buffer.from('\r\n\r\n')

export interface LeanResponse {
  readonly status: number
  readonly bytes: number
}

export class LeanClient {
  private buffered: Buffer = Buffer.alloc(0)
  private pending: { resolve: (r: LeanResponse) => void; reject: (e: Error) => void } | null = null
  private readonly host: string

  private constructor(
    private readonly socket: Socket,
    url: URL,
  ) {
    this.host = url.host
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.fail(err))
    socket.on('close', () => this.fail(new Error('the server closed the connection')))
  }

  static connect(url: URL): Promise<LeanClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.off('error', reject)
        resolve(new LeanClient(socket, url))
      })
      socket.once('error', reject)
    })
  }

  /** Sends one request; resolves with the status once the whole response body has arrived. */
  request(method: 'GET' | 'POST', path: string, body?: string): Promise<LeanResponse> {
    if (this.pending) return Promise.reject(new Error('one request at a time per client'))
    const head =
      `${method} ${path} HTTP/1.1\r\nhost: ${this.host}\r\n` +
      (body !== undefined ? `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` : '') +
      '\r\n'
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.socket.write(body !== undefined ? head + body : head)
    })
  }

  close(): void {
    this.pending = null
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    const end = this.buffered.indexOf(HEADER_END)
    if (end < 0) return
    const head = this.buffered.toString('latin1', 0, end)
    const status = Number(head.slice(9, 12))
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)
    if (!length) {
      this.fail(new Error(`a response without content-length: ${head.split('\r\n')[0]}`))
      return
    }
    const total = end + HEADER_END.length + Number(length[1])
    if (this.buffered.length < total) return
    this.buffered = this.buffered.subarray(total)
    const p = this.pending
    this.pending = null
    p?.resolve({ status, bytes: total })
  }

  private fail(err: Error): void {
    const p = this.pending
    this.pending = null
    p?.reject(err)
  }
}
