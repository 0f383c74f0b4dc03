/**
 * Structured logs (pino) for the CLI's long-running commands: `--log-format json|pretty`
 * and `--log-level`. kafkajs (its logCreator) and cassandra-driver (its 'log' events) are
 * routed through the same logger, so no raw JSON of theirs leaks to the terminal. A line
 * repeated with nothing else in between (an idle consumer's reconnect note) is written
 * once, then summarised as "… (repeated n times)" when something else is logged.
 *
 * @example
 * const log = createLogger({ format: 'pretty', level: 'info' })
 * const unroute = routeClientLogs(log)
 * log.info({ component: 'run' }, 'started')
 */
import pino, { type Logger } from 'pino'
import { systemClock } from '../base/clock.ts'
import { ConfigError } from '../base/errors.ts'
import { setKafkaLogSink, type KafkaLogLevel } from '../connectors/kafka/client.ts'
import { setCassandraLogSink } from '../store/kv/cassandra-kv.ts'

export type LogFormat = 'json' | 'pretty'
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface LoggerOptions {
  readonly format?: LogFormat
  readonly level?: LogLevel
  /** Default: stderr. */
  readonly write?: (line: string) => void
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

export function checkLogFlags(format: string | undefined, level: string | undefined): { format: LogFormat; level: LogLevel } {
  const f = format ?? 'pretty'
  if (f !== 'json' && f !== 'pretty') throw new ConfigError(`--log-format ${f} is not json or pretty`)
  const l = level ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(l)) throw new ConfigError(`--log-level ${l} is not one of ${LOG_LEVELS.join(', ')}`)
  return { format: f, level: l as LogLevel }
}

/** One line of pino JSON as a human reads it: `12:00:01.250 WARN  [kafkajs] message key=value`. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const { time, level, msg, component, pid: _p, hostname: _h, ...rest } = o
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : ''
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
  const name = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5)
  const text = typeof msg === 'string' ? msg : JSON.stringify(msg ?? '')
  return `${t} ${name} ${typeof component === 'string' ? `[${component}] ` : ''}${text}${fields ? ` ${fields}` : ''}\n`
}

/**
 * Collapses identical consecutive lines (compared without their time): the first is
 * written, the repeats are counted and reported in one line when a different one arrives
 * or on `flush()`.
 */
export class RepeatCollapser {
  private last: string | null = null
  private lastLine = ''
  private repeats = 0

  constructor(private readonly out: (line: string) => void) {}

  write(line: string): void {
    const key = line.replace(/"time":\d+,?/, '')
    if (key === this.last) {
      this.repeats++
      return
    }
    this.flush()
    this.last = key
    this.lastLine = line
    this.out(line)
  }

  flush(): void {
    if (this.repeats > 0) {
      const n = this.repeats
      this.repeats = 0
      try {
        const o = JSON.parse(this.lastLine) as Record<string, unknown>
        this.out(
          JSON.stringify({ ...o, time: systemClock.now(), msg: `${String(o.msg)} (repeated ${n} more time${n === 1 ? '' : 's'})` }) + '\n',
        )
      } catch {
        this.out(`(the line above repeated ${n} more times)\n`)
      }
    }
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const sink = options.write ?? ((line: string) => void process.stderr.write(line))
  const out = options.format === 'json' ? sink : (line: string) => sink(prettyLine(line))
  const collapser = new RepeatCollapser(out)
  const logger = pino({ level: options.level ?? 'info', base: null }, { write: (line: string) => collapser.write(line) })
  const flush = logger.flush.bind(logger)
  logger.flush = (cb?: (err?: Error) => void) => {
    collapser.flush()
    flush(cb)
  }
  return logger
}

const KAFKA_LEVEL: Record<LogLevel, KafkaLogLevel> = {
  fatal: 'error',
  error: 'error',
  warn: 'warn',
  info: 'warn',
  debug: 'debug',
  trace: 'debug',
  silent: 'nothing',
}
const CASSANDRA_LEVEL: Record<string, 'debug' | 'info' | 'warn' | 'error'> = {
  verbose: 'debug',
  info: 'debug',
  warning: 'warn',
  error: 'error',
}

/**
 * Routes kafkajs and cassandra-driver logs of clients created from now on through `log`
 * (kafkajs at warn and above unless the level is debug: its info lines are chatty); returns
 * a function that stops it.
 */
export function routeClientLogs(log: Logger): () => void {
  const kafka = log.child({ component: 'kafkajs' })
  setKafkaLogSink({
    level: KAFKA_LEVEL[(log.level as LogLevel | undefined) ?? 'info'] ?? 'warn',
    write: (e) => kafka[e.level](e.namespace ? { namespace: e.namespace, ...e.fields } : e.fields, e.message),
  })
  const cassandra = log.child({ component: 'cassandra' })
  setCassandraLogSink((level, className, message) => {
    const l = CASSANDRA_LEVEL[level] ?? 'debug'
    cassandra[l]({ class: className }, message)
  })
  return () => {
    setKafkaLogSink(null)
    setCassandraLogSink(null)
  }
}
