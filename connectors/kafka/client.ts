/**
 * Shared kafkajs plumbing for the Kafka source and sinks: broker list parsing, client
 * creation with a quiet logger, and turning "cannot connect" / "no such topic" into the
 * one-line ConfigErrors the CLI prints (with TLS/SASL: a refused login or a failed
 * handshake too, said as such, at once rather than after kafkajs' retries).
 *
 * @example
 * const kafka = createKafkaClient({ brokers: '127.0.0.1:9092', clientId: 'rdg' })
 * const admin = await connectAdmin(kafka, { brokers: '127.0.0.1:9092' })
 * await requireTopics(admin, ['playback-events'], ['127.0.0.1:9092'])
 */
import { Kafka, logLevel as LogLevelEnum, type Admin, type logCreator } from 'kafkajs'
import { systemClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import { PLAINTEXT, type KafkaSecurity } from './security.ts'
import './compression.ts'

type Sleeper = { sleep(ms: number): Promise<void> }

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug'

export interface KafkaClientOptions {
  /** `host:port[,host:port…]` or a list. */
  readonly brokers: string | readonly string[]
  readonly clientId?: string
  /** kafkajs log level; default 'error'. */
  readonly logLevel?: KafkaLogLevel
  /** Connection timeout per broker; default 3 000 ms. */
  readonly connectionTimeoutMs?: number
  /** TLS and SASL (security.ts); default plaintext. */
  readonly security?: KafkaSecurity | undefined
}

const LEVELS: Record<KafkaLogLevel, LogLevelEnum> = {
  nothing: LogLevelEnum.NOTHING,
  error: LogLevelEnum.ERROR,
  warn: LogLevelEnum.WARN,
  info: LogLevelEnum.INFO,
  debug: LogLevelEnum.DEBUG,
}

/** Splits and checks a broker list; a malformed entry is a ConfigError. */
export function parseBrokers(brokers: string | readonly string[]): string[] {
  const list = (typeof brokers === 'string' ? brokers.split(',') : [...brokers]).map((b) => b.trim()).filter(Boolean)
  if (list.length === 0) throw new ConfigError('no Kafka brokers given', 'pass --brokers host:port[,host:port…]')
  for (const b of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new ConfigError(`Kafka broker "${b}" is not host:port`, 'pass --brokers host:port[,host:port…]')
  }
  return list
}

/** One kafkajs log entry, for a structured logger. */
export interface KafkaLogEntry {
  readonly level: 'error' | 'warn' | 'info' | 'debug'
  readonly namespace: string
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>>
}

let kafkaLogSink: { readonly write: (entry: KafkaLogEntry) => void; readonly level: KafkaLogLevel } | null = null

/**
 * Routes kafkajs' logs (its `logCreator`) of every client created from now on to `write`,
 * at `level` and above, instead of kafkajs' raw JSON lines on stdout; null restores them.
 */
export function setKafkaLogSink(sink: { readonly write: (entry: KafkaLogEntry) => void; readonly level: KafkaLogLevel } | null): void {
  kafkaLogSink = sink
}

/** Where kafkajs logs go now (null: kafkajs prints its own lines); the fetch worker forwards its clients' logs here. */
export function kafkaLogSinkNow(): { readonly write: (entry: KafkaLogEntry) => void; readonly level: KafkaLogLevel } | null {
  return kafkaLogSink
}

const NAMES: Record<number, KafkaLogEntry['level']> = {
  [LogLevelEnum.ERROR]: 'error',
  [LogLevelEnum.WARN]: 'warn',
  [LogLevelEnum.INFO]: 'info',
  [LogLevelEnum.DEBUG]: 'debug',
}

function routedLogCreator(write: (entry: KafkaLogEntry) => void): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const {
        message,
        timestamp: _t,
        logger: _l,
        ...fields
      } = log as { message: string; timestamp?: string; logger?: string } & Record<string, unknown>
      write({ level: NAMES[level] ?? 'info', namespace, message, fields })
    }
}

/** High watermark (next offset to be written) per partition of a topic: what consumer lag is measured against. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic)
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]))
}

export function createKafkaClient(
  options: KafkaClientOptions,
  retry?: { retries: number; initialRetryTime: number; maxRetryTime: number },
): Kafka {
  const routed = kafkaLogSink && options.logLevel !== 'nothing' ? kafkaLogSink : null
  return new Kafka({
    clientId: options.clientId ?? 'rdg',
    brokers: parseBrokers(options.brokers),
    // a logger asking for debug (rdg-job --log-level debug) gets kafkajs' debug lines whatever the client's default
    logLevel: LEVELS[routed ? (routed.level === 'debug' ? 'debug' : (options.logLevel ?? routed.level)) : (options.logLevel ?? 'error')],
    ...(routed ? { logCreator: routedLogCreator(routed.write) } : {}),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    ...(options.security ?? PLAINTEXT).kafkajs(),
    ...(retry ? { retry } : {}),
  })
}

/**
 * Connects an admin client. A probe with short retries fails fast, with a one-line
 * ConfigError, when no broker answers; the returned client retries normally (a group
 * coordinator that is still loading is not an error).
 */
export async function connectAdmin(kafka: Kafka, options: KafkaClientOptions): Promise<Admin> {
  const brokers = parseBrokers(options.brokers)
  const probe = createKafkaClient({ ...options, logLevel: 'nothing' }, { retries: 1, initialRetryTime: 300, maxRetryTime: 1_000 }).admin()
  try {
    await probe.connect()
    await probe.describeCluster()
  } catch (err) {
    throw connectError(err, brokers, options.security ?? PLAINTEXT)
  } finally {
    await probe.disconnect().catch(() => undefined)
  }
  const admin = kafka.admin()
  await admin.connect()
  return admin
}

/** How kafkajs says a broker hung up or never answered (what a TLS or SASL listener does to a client that does not speak it). */
const DROPPED = /Connection closed|Closed connection|ECONNRESET|socket hang up|timed out|timeout/i
const SECURITY_FLAGS = '--kafka-tls, --kafka-ca, --kafka-sasl, --kafka-user and the password'

/**
 * Why a connection failed, in one line with what to fix: a refused SASL login, a TLS
 * handshake that failed (unknown CA, wrong host, no client certificate), a listener that
 * speaks another protocol than ours, or no broker at all. Never carries a secret: kafkajs'
 * messages hold none and `security` describes itself without them.
 */
export function connectError(err: unknown, brokers: readonly string[], security: KafkaSecurity): ConfigError {
  const at = brokers.join(',')
  const cause = rootCause(err)
  const name = (err as { name?: string } | undefined)?.name
  const code = innermost(err)?.code
  if (name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed|Authentication failed/i.test(cause))
    return new ConfigError(
      `Kafka at ${at} refused the SASL ${security.sasl?.toUpperCase() ?? ''} login of user "${security.user ?? ''}" (${cause})`,
      'check --kafka-user, the password (--kafka-password-file or RDG_KAFKA_PASSWORD) and --kafka-sasl',
    )
  if (
    /UNSUPPORTED_SASL_MECHANISM|unsupported SASL mechanism/i.test(cause) ||
    (err as { type?: string }).type === 'UNSUPPORTED_SASL_MECHANISM'
  )
    return new ConfigError(
      `Kafka at ${at} does not accept ${security.describe()} (${cause})`,
      'pick a mechanism it enables with --kafka-sasl',
    )
  if (security.tls) {
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return new ConfigError(
        `the TLS certificate of Kafka at ${at} is not for that host (${cause})`,
        'connect by a name the certificate lists in --brokers',
      )
    if (code === 'CERT_HAS_EXPIRED')
      return new ConfigError(`the TLS certificate of Kafka at ${at} has expired (${cause})`, 'the broker needs a renewed certificate')
    if (
      code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
      code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
      code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
      code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
      code === 'UNABLE_TO_GET_ISSUER_CERT'
    )
      return new ConfigError(
        `the TLS certificate of Kafka at ${at} is not signed by a trusted CA (${cause})`,
        "pass the CA that signed the broker's certificate with --kafka-ca <ca.pem>",
      )
    if (/certificate required|bad certificate|handshake failure|alert/i.test(cause))
      return new ConfigError(
        `the TLS handshake with Kafka at ${at} failed (${cause})`,
        'the broker may require a client certificate: pass --kafka-cert <cert.pem> --kafka-key <key.pem> signed by a CA it trusts',
      )
    if (/wrong version number|packet length too long|disconnected before secure TLS/i.test(cause))
      return new ConfigError(
        `the TLS handshake with Kafka at ${at} failed (${cause})`,
        'check that the port is a TLS listener (or drop --kafka-tls for a plaintext one)',
      )
    if (DROPPED.test(cause))
      return new ConfigError(
        `Kafka at ${at} closed the TLS connection (${cause})`,
        security.sasl
          ? 'check that the port is a TLS listener with SASL, and whether it requires a client certificate (--kafka-cert, --kafka-key)'
          : 'check whether the listener requires a client certificate (--kafka-cert, --kafka-key) or SASL (--kafka-sasl, --kafka-user)',
      )
  } else if (DROPPED.test(cause)) {
    // a TLS or SASL listener drops a plaintext client's first request, or never answers it
    return new ConfigError(
      `Kafka at ${at} closed the connection or did not answer (${cause})`,
      `check --brokers and that the broker is running; if the listener needs TLS or SASL, pass ${SECURITY_FLAGS}`,
    )
  }
  return new ConfigError(`cannot reach Kafka at ${at} (${cause})`, 'check --brokers and that the broker is running')
}

function innermost(err: unknown): { code?: string } | undefined {
  let e = err as { code?: string; originalError?: unknown; cause?: unknown } | undefined
  for (let i = 0; i < 5 && e && (e.originalError || e.cause); i++) {
    if (e.code) return e
    e = (e.originalError ?? e.cause) as typeof e
  }
  return e
}

/** Throws a one-line ConfigError naming the first topic that does not exist. */
export async function requireTopics(admin: Admin, topics: readonly string[], brokers: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter((t) => !existing.has(t))
  if (missing.length === 1)
    throw new ConfigError(`topic ${missing[0]} does not exist on ${brokers.join(',')}`, 'create it or check --brokers')
  if (missing.length > 1)
    throw new ConfigError(`topics ${missing.join(', ')} do not exist on ${brokers.join(',')}`, 'create them or check --brokers')
}

/**
 * Makes sure the topics exist: creates the missing ones when `create` is set, otherwise
 * fails like `requireTopics`.
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly string[],
  brokers: readonly string[],
  create: false | { partitions?: number; replicationFactor?: number },
  clock: Sleeper = systemClock,
): Promise<void> {
  if (!create) return requireTopics(admin, topics, brokers)
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter((t) => !existing.has(t))
  if (missing.length > 0) await createTopics(admin, missing, create, clock)
}

/**
 * Creates topics (one already there is fine) and waits until every partition has a
 * leader. kafkajs' own `waitForLeaders` gives up on a broker that has only just started.
 */
export async function createTopics(
  admin: Admin,
  topics: readonly string[],
  { partitions = 1, replicationFactor = 1 }: { partitions?: number; replicationFactor?: number },
  clock: Sleeper = systemClock,
  timeoutMs = 30_000,
): Promise<void> {
  await retryRetriable(clock, () =>
    admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })) }),
  )
  for (let waited = 0; ; waited += 100) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] })
      if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return
    } catch (err) {
      if (waited >= timeoutMs) throw err
    }
    if (waited >= timeoutMs) throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`)
    await clock.sleep(100)
  }
}

/** The innermost message of a kafkajs error (they wrap the socket error several levels deep). */
export function rootCause(err: unknown): string {
  let e = err as { message?: string; originalError?: unknown; cause?: unknown } | undefined
  for (let i = 0; i < 5 && e && (e.originalError || e.cause); i++) e = (e.originalError ?? e.cause) as typeof e
  return (e?.message ?? String(err)).split('\n')[0]!
}

/** True for the errors kafkajs raises when the group is rebalancing. */
export function isRebalancing(err: unknown): boolean {
  const type = (err as { type?: string } | undefined)?.type
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION'
}

/**
 * Runs a kafkajs call, retrying its retriable errors (a coordinator still loading, a leader
 * moving) with backoff on `clock`, up to `attempts` times.
 */
export async function retryRetriable<T>(clock: Sleeper, fn: () => Promise<T>, attempts = 10): Promise<T> {
  let backoff = 100
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= attempts || (err as { retriable?: boolean }).retriable !== true) throw err
      await clock.sleep(backoff)
      backoff = Math.min(backoff * 2, 2_000)
    }
  }
}
