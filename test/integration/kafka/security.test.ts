/**
 * Kafka with TLS and SASL on a real broker of its own (an SSL listener that requires a
 * client certificate, a SASL_SSL listener with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
 * users; certificates made by openssl and keytool in the setup). For each way in,
 * `rdg-job produce` writes events and the Kafka source, the graph publisher and the
 * dead-letter sink read and write them over the same security; `rdg-job run --brokers`
 * runs once end to end with --debug. A wrong password, an unknown CA or a missing client
 * certificate is one line and exit code 2 within seconds, and the password is never in
 * any output.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../../base/clock.ts'
import { ConfigError } from '../../../base/errors.ts'
import type { GraphPrimitive } from '../../../graph/model.ts'
import { runJob } from '../../../graph/run-job.ts'
import playbackJob from '../../../jobs/playback-events.ts'
import { connectAdmin, createKafkaClient, setKafkaLogSink } from '../../../connectors/kafka/client.ts'
import { kafkaJobIo } from '../../../connectors/kafka/job-io.ts'
import { resolveKafkaSecurity, type KafkaSecuritySettings } from '../../../connectors/kafka/security.ts'
import { CollectingSink } from '../../../testing/collecting-sink.ts'
import { startKafka, type KafkaServer } from '../../infra/kafka-server.ts'
import { makeTlsMaterial, type TlsMaterial } from '../../infra/kafka-tls.ts'
import { uniqueName, waitFor, withAdmin } from '../../infra/kafka-helpers.ts'

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'rdg-job.js')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-security-'))
const USER = 'rdg-user'
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`
const passwordFile = join(base, 'kafka-password')
const schemaDir = join(base, 'schemas')
const EVENTS = 300

let kafka: KafkaServer
let tls: TlsMaterial
/** Everything any rdg-job process printed: checked for the password at the end. */
const printed: string[] = []

beforeAll(async () => {
  tls = makeTlsMaterial(join(base, 'tls'))
  writeFileSync(passwordFile, `${PASSWORD}\n`)
  kafka = await startKafka({ secure: { tls, users: [{ name: USER, password: PASSWORD }] } })
})
afterAll(async () => {
  await kafka?.stop()
  rmSync(base, { recursive: true, force: true })
})

interface Finished {
  readonly code: number | null
  readonly out: string
  readonly err: string
  readonly ms: number
}

/** Runs `rdg-job …` with extra environment; `onLine` sees each stderr line and may signal the process. */
function cli(args: string[], env: Record<string, string> = {}, onLine?: (line: string, kill: () => void) => void): Promise<Finished> {
  const started = systemClock.now()
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let out = ''
    let err = ''
    proc.stdout.on('data', (d) => (out += String(d)))
    proc.stderr.on('data', (d) => {
      const text = String(d)
      err += text
      for (const line of text.split('\n')) onLine?.(line, () => proc.kill('SIGINT'))
    })
    proc.on('exit', (code) => {
      printed.push(out, err)
      resolve({ code, out, err, ms: systemClock.now() - started })
    })
  })
}

interface Mode {
  readonly name: string
  readonly brokers: () => string[]
  readonly flags: () => string[]
  readonly env: Record<string, string>
  readonly settings: () => KafkaSecuritySettings
}

const MODES: readonly Mode[] = [
  {
    name: 'TLS with a client certificate',
    brokers: () => kafka.sslBrokers!,
    flags: () => ['--kafka-ca', tls.ca, '--kafka-cert', tls.clientCert, '--kafka-key', tls.clientKey],
    env: {},
    settings: () => ({ ca: tls.ca, cert: tls.clientCert, key: tls.clientKey }),
  },
  ...(['plain', 'scram-sha-256', 'scram-sha-512'] as const).map((mechanism, i): Mode => ({
    name: `SASL_SSL ${mechanism}`,
    brokers: () => kafka.saslBrokers!,
    // the password from the file, or (SCRAM-SHA-256) from RDG_KAFKA_PASSWORD
    flags: () => [
      '--kafka-ca',
      tls.ca,
      '--kafka-sasl',
      mechanism,
      '--kafka-user',
      USER,
      ...(i === 1 ? [] : ['--kafka-password-file', passwordFile]),
    ],
    env: i === 1 ? { RDG_KAFKA_PASSWORD: PASSWORD } : {},
    settings: () => ({ ca: tls.ca, sasl: mechanism, user: USER, password: PASSWORD }),
  })),
]

const produceArgs = (mode: Mode, topic: string): string[] => [
  'produce',
  'playback-events',
  '--kafka-topic',
  topic,
  '--brokers',
  mode.brokers().join(','),
  '--schema-dir',
  schemaDir,
  '--count',
  String(EVENTS),
  '--malformed-rate',
  '0.05',
  '--partitions',
  '1',
  ...mode.flags(),
]

const highWatermark = async (topic: string): Promise<number> =>
  (await withAdmin(kafka.brokers, (admin) => admin.fetchTopicOffsets(topic))).reduce((n, p) => n + Number(p.high), 0)

describe('Kafka over TLS and SASL (a broker of its own)', () => {
  it.each(MODES.map((m) => [m.name, m] as const))(
    '%s: rdg-job produce, then the source, graph publisher and dead-letter topic',
    async (_, mode) => {
      const topic = uniqueName('secure-playback')
      const produced = await cli(produceArgs(mode, topic), mode.env)
      expect(produced.code, produced.err).toBe(0)
      expect(produced.out).toMatch(new RegExp(`${topic}: 300 events written`))

      const io = await kafkaJobIo({
        job: playbackJob,
        brokers: mode.brokers(),
        topic,
        groupId: uniqueName('rdg-secure'),
        schemaDir,
        start: 'earliest',
        publishGraph: { topicPrefix: topic },
        security: resolveKafkaSecurity(mode.settings()),
        logLevel: 'nothing',
      })
      const collected = new CollectingSink<GraphPrimitive>('collected')
      const handle = runJob(playbackJob, {
        ...io,
        graphSinks: [collected, ...io.graphSinks],
        dataDir: join(base, 'jobs', topic),
        state: { backend: 'heap' },
        checkpoint: { intervalMs: 300 },
      })
      try {
        await waitFor(
          () => handle.metrics.recordsIn >= EVENTS,
          30_000,
          () => `${handle.metrics.recordsIn} of ${EVENTS} records in`,
        )
      } finally {
        await handle.stop()
      }
      expect(handle.metrics.deadLetters).toBeGreaterThan(0)
      // what the sinks wrote over TLS/SASL, counted through the plaintext listener
      expect(await highWatermark(`${topic}.dlq`)).toBe(handle.metrics.deadLetters)
      expect(await highWatermark(`${topic}.node.account`)).toBeGreaterThan(0)
      expect(collected.values().length).toBeGreaterThan(0)
    },
  )

  it('rdg-job run --brokers over SCRAM-SHA-512 with --debug', async () => {
    const mode = MODES[3]!
    const topic = uniqueName('secure-run')
    const produced = await cli(produceArgs(mode, topic), mode.env)
    expect(produced.code, produced.err).toBe(0)
    const run = await cli(
      [
        'run',
        'playback-events',
        '--brokers',
        mode.brokers().join(','),
        '--kafka-topic',
        topic,
        '--schema-dir',
        schemaDir,
        '--start',
        'earliest',
        '--checkpoint-interval',
        '300',
        '--data-dir',
        join(base, 'cli-jobs'),
        '--store',
        `rocksdb:${join(base, 'cli-graph')}`,
        '--log-level',
        'debug',
        '--debug',
        ...mode.flags(),
      ],
      {},
      (line, stop) => {
        const m = /([\d,]+) records/.exec(line)
        if (m && Number(m[1]!.replaceAll(',', '')) >= EVENTS) stop()
      },
    )
    expect(run.code, run.err).toBe(0)
    expect(run.out).toMatch(/records in\s+300 /)
    expect(run.out).toMatch(/dead letters\s+[1-9]/)
    expect(await highWatermark(`${topic}.dlq`)).toBeGreaterThan(0)
  })

  it('a wrong password is one line and exit code 2, at once, for produce and run --debug', async () => {
    const mode = MODES[2]!
    const env = { RDG_KAFKA_PASSWORD: `${PASSWORD}-wrong` }
    const produced = await cli(produceArgs(mode, uniqueName('secure-wrong')), env)
    expect(produced.code).toBe(2)
    // the "producing …" line comes first; the error is the one line after it
    const errors = produced.err
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('rdg-job:'))
    expect(errors, produced.err).toHaveLength(1)
    expect(errors[0]).toMatch(
      /^rdg-job: Kafka at 127\.0\.0\.1:\d+ refused the SASL SCRAM-SHA-256 login of user "rdg-user" \(.*\); check --kafka-user, the password/,
    )
    expect(produced.err.trim().split('\n').at(-1)).toBe(errors[0])
    expect(produced.ms).toBeLessThan(15_000)

    const run = await cli(
      [
        'run',
        'playback-events',
        '--brokers',
        mode.brokers().join(','),
        '--schema-dir',
        schemaDir,
        '--debug',
        '--data-dir',
        join(base, 'wrong-jobs'),
        '--store',
        'memory',
        ...mode.flags(),
      ],
      env,
    )
    expect(run.code, run.err).toBe(2)
    expect(run.err).toMatch(/refused the SASL SCRAM-SHA-256 login/)
    expect(
      run.err
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('rdg-job:')),
    ).toHaveLength(1)
  })

  it('a --kafka-password flag is refused without echoing it', async () => {
    const mode = MODES[1]!
    const r = await cli([...produceArgs(mode, uniqueName('secure-flag')), '--kafka-password', PASSWORD])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(
      /^rdg-job: the Kafka password is not taken from --kafka-password .*--kafka-password-file <file>, or set RDG_KAFKA_PASSWORD\n$/,
    )
  })

  it('TLS mistakes are one ConfigError each, fast: unknown CA, no client certificate, plaintext port, plaintext client', async () => {
    const attempt = async (brokers: string[], settings: KafkaSecuritySettings): Promise<{ message: string; ms: number }> => {
      const started = systemClock.now()
      const options = { brokers, security: resolveKafkaSecurity(settings), logLevel: 'nothing' as const }
      try {
        const admin = await connectAdmin(createKafkaClient(options), options)
        await admin.disconnect()
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError)
        return { message: (err as Error).message, ms: systemClock.now() - started }
      }
      throw new Error(`connected to ${brokers.join(',')} with ${JSON.stringify(settings)}`)
    }
    const cases: [string[], KafkaSecuritySettings, RegExp][] = [
      [kafka.sslBrokers!, { ca: tls.otherCa, cert: tls.clientCert, key: tls.clientKey }, /not signed by a trusted CA .*--kafka-ca/],
      [kafka.sslBrokers!, { ca: tls.ca }, /TLS handshake with Kafka at .* failed .*client certificate/],
      [kafka.brokers, { ca: tls.ca }, /TLS handshake with Kafka at .* failed .*TLS listener/],
      [kafka.sslBrokers!, {}, /closed the connection or did not answer .*--kafka-tls/],
      [kafka.saslBrokers!, { ca: tls.ca }, /closed the TLS connection .*SASL \(--kafka-sasl/],
    ]
    for (const [brokers, settings, expected] of cases) {
      const { message, ms } = await attempt(brokers, settings)
      expect(message, JSON.stringify(settings)).toMatch(expected)
      expect(message).not.toContain('\n')
      expect(ms, message).toBeLessThan(10_000)
    }
  })

  it("kafkajs' debug log of SASL logins holds no password", async () => {
    const lines: string[] = []
    setKafkaLogSink({ level: 'debug', write: (entry) => lines.push(JSON.stringify(entry)) })
    try {
      for (const sasl of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
        const options = {
          brokers: kafka.saslBrokers!,
          security: resolveKafkaSecurity({ ca: tls.ca, sasl, user: USER, password: PASSWORD }),
        }
        const admin = await connectAdmin(createKafkaClient(options), options)
        await admin.listTopics()
        await admin.disconnect()
      }
    } finally {
      setKafkaLogSink(null)
    }
    expect(lines.some((l) => l.includes('SASL'))).toBe(true)
    printed.push(...lines)
  })

  it('never printed the password', () => {
    expect(printed.length).toBeGreaterThan(0)
    for (const text of printed) expect(text).not.toContain(PASSWORD)
  })
})
