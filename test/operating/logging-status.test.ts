/**
 * Structured logs and the status line: pino JSON or pretty lines, kafkajs' logs routed
 * through the logger (not its raw JSON), identical repeated lines collapsed, and a status
 * off a terminal that says nothing while the job is idle.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import { createKafkaClient } from '../../connectors/kafka/client.ts'
import { checkLogFlags, createLogger, prettyLine, routeClientLogs } from '../../cli/logging.ts'
import { createStatus, formatEta, type StatusSnapshot } from '../../cli/status.ts'

describe('logging', () => {
  let unroute = () => {}
  afterEach(() => unroute())

  it('writes one JSON object per line, or a pretty line', () => {
    const json: string[] = []
    createLogger({ format: 'json', write: (l) => json.push(l) }).info({ component: 'run', records: 3 }, 'started')
    expect(JSON.parse(json[0]!)).toMatchObject({ level: 30, component: 'run', records: 3, msg: 'started' })
    const pretty: string[] = []
    createLogger({ format: 'pretty', write: (l) => pretty.push(l) }).warn({ component: 'kafkajs', partition: 2 }, 'rebalancing')
    expect(pretty[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}\[kafkajs\] rebalancing partition=2\n$/)
    expect(prettyLine('not json')).toBe('not json')
  })

  it('collapses identical consecutive lines into one line and a count', () => {
    const lines: string[] = []
    const log = createLogger({ format: 'json', write: (l) => lines.push(l) })
    for (let i = 0; i < 5; i++) log.info('waiting for partitions')
    expect(lines).toHaveLength(1)
    log.info('assigned')
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'waiting for partitions',
      'waiting for partitions (repeated 4 more times)',
      'assigned',
    ])
    log.info('assigned')
    log.flush()
    expect((JSON.parse(lines[lines.length - 1]!) as { msg: string }).msg).toBe('assigned (repeated 1 more time)')
  })

  it('routes kafkajs logs through the logger', () => {
    const lines: string[] = []
    unroute = routeClientLogs(createLogger({ format: 'json', write: (l) => lines.push(l) }))
    createKafkaClient({ brokers: '127.0.0.1:1' }).logger().error('Connection error', { broker: '127.0.0.1:1' })
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, component: 'kafkajs', msg: 'Connection error', broker: '127.0.0.1:1' })
  })

  it('checks --log-format and --log-level', () => {
    expect(checkLogFlags(undefined, undefined)).toEqual({ format: 'pretty', level: 'info' })
    expect(() => checkLogFlags('xml', undefined)).toThrow(/--log-format xml/)
    expect(() => checkLogFlags('json', 'loud')).toThrow(/--log-level loud/)
  })
})

describe('status', () => {
  const snap = (recordsIn: number, extra: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
    recordsIn,
    written: recordsIn * 2,
    deadLetters: 0,
    checkpoint: 1,
    total: null,
    done: recordsIn,
    lag: null,
    ...extra,
  })

  it('off a terminal: a line when something changed, nothing while idle', () => {
    const out: string[] = []
    const clock = new ManualClock(0)
    const status = createStatus({ tty: false, clock, stream: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream })
    status.update(snap(0, { lag: 0 }))
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000)
      status.update(snap(0, { lag: 0 })) // an idle Kafka job
    }
    expect(out).toHaveLength(1)
    clock.advance(1_000)
    status.update(snap(1_000, { lag: 5 }))
    // the rate is over the last five seconds
    expect(out[1]).toBe('  1,000 records, 2,000 primitives written, 0 dead letters, checkpoint 1, 200/s, lag 5\n')
  })

  it('with a known total: percentage and ETA', () => {
    const out: string[] = []
    const clock = new ManualClock(0)
    const status = createStatus({ tty: false, clock, stream: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream })
    status.update(snap(0, { total: 10_000 }))
    clock.advance(1_000)
    status.update(snap(2_500, { total: 10_000 }))
    expect(out[1]).toContain('25.0 %, ETA 3s')
    expect(formatEta(3_725)).toBe('1h02m')
    expect(formatEta(65)).toBe('1m05s')
  })
})
