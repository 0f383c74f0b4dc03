/**
 * Test helpers: a serving child (`serve` or `run --serve`) whose URL is read from its
 * "serving … on http://…" line — readiness without sleeps; JSON requests.
 *
 * @example
 * const s = await startServingProcess(['serve', '--store', `rocksdb:${dir}`, '--listen', '127.0.0.1:0'])
 * const r = await fetch(`${s.url}/healthz`)
 * await s.stop()
 */
import type { ChildProcess } from 'node:child_process'
import { startCli } from '../infra/cli-process.ts'

export { BIN, cli, type CliResult } from '../infra/cli-process.ts'

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

export async function startServingProcess(args: readonly string[]): Promise<ServingProcess> {
  const p = await startCli(args, /serving .* on (http:\/\/[^\s]+)/, { stream: 'stdout' })
  return { url: p.match[1]!, proc: p.proc, exited: p.exited, output: p.output, stop: () => p.stop() }
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
