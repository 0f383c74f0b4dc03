/**
 * A real single-node Apache Kafka broker (KRaft, broker + controller in one JVM) for tests
 * and benchmarks, run from its Maven Central artifacts on the machine's JDK, listening on
 * free ports of 127.0.0.1. See shared INFRA.md and scripts/servers/kafka/pom.xml.
 *
 * - The classpath comes from `mvn dependency:build-classpath` once and is cached under
 *   `.servers/kafka/` (keyed by the pom's content).
 * - Storage is formatted once per data directory; `restart()` keeps the directory and the
 *   ports, so a test can take the broker away and bring it back.
 * - A pid file in the data directory lets the next start (or a teardown) stop a broker that
 *   an aborted run left behind.
 * - Ready means a kafkajs admin `describeCluster()` answered; on failure the error carries
 *   the tail of the broker's log.
 * - `secure` adds an SSL listener (client certificate required) and a SASL_SSL one (PLAIN
 *   and SCRAM users, the SCRAM ones made at storage format time); see kafka-tls.ts.
 *
 * @example
 * const kafka = await startKafka()
 * try { use(kafka.brokers) } finally { await kafka.stop() }
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { systemClock as clock } from '../../base/clock.ts'
import { scramFormatArgs, secureListenerProperties, type SaslUser, type TlsMaterial } from './kafka-tls.ts'

const run = promisify(execFile)
const REPO = resolve(import.meta.dirname, '..', '..')
const POM = join(REPO, 'scripts', 'servers', 'kafka', 'pom.xml')
const CACHE = join(REPO, '.servers', 'kafka')

export interface KafkaServerOptions {
  /** Data directory (logs, metadata, pid file). Default: a fresh temporary directory, removed on stop. */
  readonly dir?: string
  /** Broker port; default a free one. */
  readonly port?: number
  /** KRaft controller port; default a free one. */
  readonly controllerPort?: number
  /** How long to wait for readiness. Default 120 s (a cold JVM on 2 cores). */
  readonly readyTimeoutMs?: number
  /** Extra server.properties entries. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>
  /** Also an SSL listener (client certificate required) and a SASL_SSL one (PLAIN and SCRAM users), on free ports. */
  readonly secure?: { readonly tls: TlsMaterial; readonly users: readonly SaslUser[] }
}

export interface KafkaServer {
  /** `127.0.0.1:<port>`, for kafkajs `brokers`. */
  readonly brokers: string[]
  readonly port: number
  readonly controllerPort: number
  /** With `secure`: the SSL and the SASL_SSL listener. */
  readonly sslBrokers?: string[]
  readonly saslBrokers?: string[]
  readonly dir: string
  /** Stops the JVM (SIGTERM, SIGKILL after a grace period, or SIGKILL at once with `hard`). */
  stop(options?: { hard?: boolean; keepDir?: boolean }): Promise<void>
  /** Stops and starts again with the same data directory and ports. */
  restart(options?: { hard?: boolean; downMs?: number }): Promise<void>
  /** Last lines of the broker's log. */
  logTail(lines?: number): string
}

/** Starts a broker and waits until it answers an admin call. */
export async function startKafka(options: KafkaServerOptions = {}): Promise<KafkaServer> {
  const classpath = await kafkaClasspath()
  const ownsDir = options.dir === undefined
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'rdg-kafka-'))
  mkdirSync(dir, { recursive: true })
  stopLeftover(dir)
  const port = options.port ?? (await freePort())
  const controllerPort = options.controllerPort ?? (await freePort([port]))
  const sslPort = options.secure ? await freePort([port, controllerPort]) : 0
  const secure = options.secure ? { ssl: sslPort, sasl: await freePort([port, controllerPort, sslPort]) } : null
  const securityProps =
    options.secure && secure
      ? secureListenerProperties(options.secure.tls, { plain: port, controller: controllerPort, ...secure }, options.secure.users)
      : {}
  const props = writeConfig(dir, port, controllerPort, { ...securityProps, ...options.properties })
  await format(classpath, dir, props, options.secure ? scramFormatArgs(options.secure.users) : [])

  let proc: ChildProcess | null = null
  const launch = async (): Promise<void> => {
    proc = launchBroker(classpath, dir, props)
    await waitReady(`127.0.0.1:${port}`, proc, dir, options.readyTimeoutMs ?? 120_000)
  }
  const halt = async (hard: boolean): Promise<void> => {
    if (proc) await terminate(proc, hard)
    proc = null
    rmSync(join(dir, 'kafka.pid'), { force: true })
  }
  await launch()

  return {
    brokers: [`127.0.0.1:${port}`],
    port,
    controllerPort,
    ...(secure ? { sslBrokers: [`127.0.0.1:${secure.ssl}`], saslBrokers: [`127.0.0.1:${secure.sasl}`] } : {}),
    dir,
    async stop(opts = {}) {
      await halt(opts.hard ?? false)
      if (ownsDir && !opts.keepDir) rmSync(dir, { recursive: true, force: true })
    },
    async restart(opts = {}) {
      await halt(opts.hard ?? false)
      if (opts.downMs) await clock.sleep(opts.downMs)
      await launch()
    },
    logTail: (lines = 60) => tail(dir, lines),
  }
}

/** Stops whatever broker the pid file in `dir` names (a teardown after a crashed run). */
export function stopLeftover(dir: string): void {
  const pidFile = join(dir, 'kafka.pid')
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  rmSync(pidFile, { force: true })
}

/** The broker's Java classpath, resolved by Maven once and cached per pom content. */
export async function kafkaClasspath(): Promise<string> {
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 16)
  const cached = join(CACHE, `classpath-${pomHash}.txt`)
  if (existsSync(cached)) {
    const cp = readFileSync(cached, 'utf8').trim()
    if (cp.split(':').every((jar) => existsSync(jar))) return cp
  }
  mkdirSync(CACHE, { recursive: true })
  try {
    await run('mvn', ['-q', '-B', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${cached}`], { maxBuffer: 16 << 20 })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`could not resolve Kafka from Maven Central (${POM}): ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`)
  }
  return readFileSync(cached, 'utf8').trim()
}

function writeConfig(
  dir: string,
  port: number,
  controllerPort: number,
  extra: Readonly<Record<string, string | number | boolean>>,
): string {
  const logDir = join(dir, 'data')
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': logDir,
    'offsets.topic.replication.factor': 1,
    // Fewer internal partitions: the first consumer group comes up in a second, not ten.
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'group.initial.rebalance.delay.ms': 0,
    // Tests rely on a missing topic being an error, not created on first metadata request.
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    ...extra,
  }
  const props = join(dir, 'server.properties')
  writeFileSync(
    props,
    Object.entries(settings)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n') + '\n',
  )
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${join(dir, 'server.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      'log4j.logger.org.apache.kafka.controller=WARN',
      '',
    ].join('\n'),
  )
  return props
}

/** Formats the KRaft storage once per data directory (`--ignore-formatted` makes a second call a no-op). */
async function format(classpath: string, dir: string, props: string, extraArgs: readonly string[] = []): Promise<void> {
  if (existsSync(join(dir, 'data', 'meta.properties'))) return
  // A Kafka cluster id is a UUID in URL-safe base64 without padding; one starting with '-'
  // (1 in 64) would be read by the tool as an option, so its first character is a letter.
  const clusterId = randomBytes(16).toString('base64url').replace(/^[-_]/, 'A')
  try {
    await run(
      'java',
      [
        '-Xmx256m',
        '-cp',
        classpath,
        `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        props,
        '--ignore-formatted',
        ...extraArgs,
      ],
      {
        maxBuffer: 16 << 20,
      },
    )
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`formatting Kafka storage in ${dir} failed: ${(e.stderr || e.stdout || e.message).trim()}`)
  }
}

function launchBroker(classpath: string, dir: string, props: string): ChildProcess {
  const out = openSync(join(dir, 'stdout.log'), 'a')
  const proc = spawn(
    'java',
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      props,
    ],
    { stdio: ['ignore', out, out] },
  )
  closeSync(out)
  if (proc.pid) writeFileSync(join(dir, 'kafka.pid'), String(proc.pid))
  return proc
}

async function waitReady(broker: string, proc: ChildProcess, dir: string, timeoutMs: number): Promise<void> {
  let exited: string | null = null
  proc.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`))
  const admin = new Kafka({
    clientId: 'rdg-test-readiness',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1_000,
  }).admin()
  const deadline = clock.now() + timeoutMs
  let lastError = ''
  try {
    for (;;) {
      if (exited) throw new Error(`Kafka broker ${exited} before it was ready:\n${tail(dir, 60)}`)
      try {
        await admin.connect()
        await admin.describeCluster()
        return
      } catch (err) {
        lastError = (err as Error).message
        await admin.disconnect().catch(() => undefined)
      }
      if (clock.now() > deadline) {
        await terminate(proc, true)
        throw new Error(`Kafka broker on ${broker} not ready after ${timeoutMs} ms (${lastError}):\n${tail(dir, 60)}`)
      }
      await clock.sleep(250)
    }
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

async function terminate(proc: ChildProcess, hard: boolean): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const gone = new Promise<void>((r) => proc.once('exit', () => r()))
  proc.kill(hard ? 'SIGKILL' : 'SIGTERM')
  const cancel = clock.schedule(20_000, () => proc.kill('SIGKILL'))
  await gone
  cancel()
}

function tail(dir: string, lines: number): string {
  const parts: string[] = []
  for (const name of ['server.log', 'stdout.log']) {
    const file = join(dir, name)
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    if (text) parts.push(`--- ${file}\n${text}`)
  }
  return parts.join('\n') || `(no log in ${dir})`
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(avoid: readonly number[] = []): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => {
        if (avoid.includes(port)) void freePort(avoid).then(resolvePort, reject)
        else resolvePort(port)
      })
    })
  })
}
