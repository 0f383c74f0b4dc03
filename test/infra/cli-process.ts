/**
 * `rdg-job` as a child process, as a user runs it: run to the end and read what it
 * printed, or start it and wait for the line that says it is listening (readiness from
 * its own output, no sleeps).
 *
 * @example
 * const r = await cli('list')
 * const job = await startCli(['run', 'login-events', '--http', '127.0.0.1:0'], /dashboard and metrics on (http:\S+)/)
 * await fetch(`${job.match[1]}metrics`)
 * await job.stop('SIGINT')
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rdg-job.js')

export interface CliResult {
  readonly code: number | null
  readonly out: string
  readonly err: string
}

/** Runs `rdg-job …` to its end. */
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

export interface CliExit extends CliResult {
  readonly signal: NodeJS.Signals | null
}

/** Starts `rdg-job …`; `onStderrLine` sees each line it prints on stderr (progress lines among them); `done` resolves when it exits. */
export function spawnCli(
  args: readonly string[],
  onStderrLine?: (line: string, proc: ChildProcess) => void,
): { readonly proc: ChildProcess; readonly done: Promise<CliExit>; readonly output: () => string } {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout.on('data', (d) => (out += String(d)))
  createInterface({ input: proc.stderr }).on('line', (line) => {
    err += `${line}\n`
    onStderrLine?.(line, proc)
  })
  const done = new Promise<CliExit>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, out, err })))
  return { proc, done, output: () => `${out}\n${err}`.slice(-3_000) }
}

export interface CliProcess {
  readonly proc: ChildProcess
  /** The ready line's match. */
  readonly match: RegExpExecArray
  /** Everything printed so far, stdout then stderr. */
  readonly output: () => string
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>
  /** Sends `signal` (default SIGTERM), then resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/**
 * Starts `rdg-job …` and resolves once `ready` matches what it printed on `stream`
 * (default stderr); rejects with its output if it exits first.
 */
export function startCli(
  args: readonly string[],
  ready: RegExp,
  options: { readonly stream?: 'stdout' | 'stderr'; readonly spawn?: SpawnOptions } = {},
): Promise<CliProcess> {
  const proc = spawn(process.execPath, [BIN, ...args], { ...options.spawn, stdio: ['ignore', 'pipe', 'pipe'] })
  const text = { stdout: '', stderr: '' }
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  const output = () => text.stdout + text.stderr
  return new Promise((resolve, reject) => {
    const watched = options.stream ?? 'stderr'
    for (const stream of ['stdout', 'stderr'] as const) {
      proc[stream].on('data', (d: Buffer) => {
        text[stream] += String(d)
        if (stream !== watched) return
        const match = ready.exec(text[stream])
        if (match) resolve({ proc, match, output, exited, stop: (signal = 'SIGTERM') => (proc.kill(signal), exited) })
      })
    }
    void exited.then((code) => reject(new Error(`rdg-job ${args.join(' ')} exited with ${code} before ${ready}:\n${output()}`)))
  })
}

/**
 * The arguments of `rdg-job run playback-events` over a Kafka topic with Avro schemas in a
 * directory, from the earliest offset, into its own data directory and RocksDB store;
 * `flags` go between (a group, timeouts, --http …).
 */
export function playbackRunArgs(o: {
  readonly brokers: readonly string[]
  readonly topic: string
  readonly schemaDir: string
  readonly dataDir: string
  readonly store: string
  readonly flags?: readonly string[]
}): string[] {
  return [
    ...[
      'run',
      'playback-events',
      '--brokers',
      o.brokers.join(','),
      '--kafka-topic',
      o.topic,
      '--schema-dir',
      o.schemaDir,
      '--start',
      'earliest',
    ],
    ...(o.flags ?? []),
    ...['--data-dir', o.dataDir, '--store', `rocksdb:${o.store}`],
  ]
}
