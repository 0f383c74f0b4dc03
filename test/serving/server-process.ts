/**
 * Test helpers: `rdg-job` as a child process, and a serving child (`serve` or `run --serve`)
 * whose URL is read from its "serving … on http://…" line — readiness without sleeps.
 *
 * @example
 * const s = await startServingProcess(['serve', '--store', `rocksdb:${dir}`, '--listen', '127.0.0.1:0'])
 * const r = await fetch(`${s.url}/healthz`)
 * await s.stop()
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rdg-job.js')

export interface CliResult {
  readonly code: number | null
  readonly out: string
  readonly err: string
}

export function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    proc.stdout.on('data', (d) => (out += String(d)))
    proc.stderr.on('data', (d) => (err += String(d)))
    proc.on('exit', (code) => resolve({ code, out, err }))
  })
}

export interface ServingProcess {
  readonly url: string
  readonly proc: ChildProcess
  /** Everything printed so far. */
  output(): string
  /** Resolves with the exit code once the process ends by itself. */
  readonly exited: Promise<number | null>
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

export function startServingProcess(args: readonly string[]): Promise<ServingProcess> {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => (err += String(d)))
    proc.stdout.on('data', (d) => {
      out += String(d)
      const m = /serving .* on (http:\/\/[^\s]+)/.exec(out)
      if (m) resolve({ url: m[1]!, proc, exited, output: () => out + err, stop: () => (proc.kill('SIGTERM'), exited) })
    })
    void exited.then((code) => reject(new Error(`rdg-job ${args.join(' ')} exited with ${code} before serving:\n${out}\n${err}`)))
  })
}

/** A JSON request; returns status, parsed body (or text) and content type. */
export async function request(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; text: string; type: string }> {
  const res = await fetch(url, init)
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  let body: unknown = text
  if (type.startsWith('application/json')) body = JSON.parse(text)
  return { status: res.status, body, text, type }
}

export const post = (url: string, body: unknown) =>
  request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
