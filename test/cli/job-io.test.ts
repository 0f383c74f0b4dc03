import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildJobIo, PACKAGE_ROOT, parseKafkaStart, sideInputDirFor, sourceFromFlags } from '../../cli/job-io.ts'
import { ManualClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'
import login from '../../jobs/login-events.ts'

describe('source flags', () => {
  it('picks the generator, a file or Kafka', () => {
    expect(sourceFromFlags({ source: 'generator', count: 10, rate: 5, seed: 2 })).toEqual({
      kind: 'generator',
      count: 10,
      rate: 5,
      seed: 2,
    })
    expect(sourceFromFlags({ source: 'file:in.jsonl' })).toEqual({ kind: 'file', path: 'in.jsonl' })
    expect(sourceFromFlags({ brokers: '127.0.0.1:9092', group: 'g', start: 'latest', 'schema-dir': 's' })).toEqual({
      kind: 'kafka',
      brokers: '127.0.0.1:9092',
      groupId: 'g',
      start: 'latest',
      schemaDir: 's',
    })
    expect(sourceFromFlags({ brokers: 'k:1', registry: 'http://r', start: '2026-01-01T00:00:00Z' })).toMatchObject({
      registryUrl: 'http://r',
      start: { timestamp: Date.UTC(2026, 0, 1) },
    })
  })

  it.each([
    [{}, 'no source given; pass --source generator, --source file:<path.jsonl>, or --brokers <host:port> for Kafka'],
    [{ source: 'ftp://x' }, 'unknown source "ftp://x"'],
    [{ source: 'file:' }, 'unknown source "file:"'],
    [{ source: 'generator', brokers: 'k:1' }, '--source and --brokers both given'],
    [{ brokers: ' ' }, '--brokers " " is not host:port[,host:port…]'],
    [{ brokers: 'localhost' }, '--brokers "localhost" is not host:port[,host:port…]'],
    [{ source: 'generator', group: 'g' }, '--group only applies to Kafka'],
    [{ source: 'generator', count: -5 }, '--count must be a positive number, got -5'],
    [{ source: 'generator', rate: Number.NaN }, '--rate must be a positive number, got NaN'],
  ])('%j is one clear ConfigError', (flags, message) => {
    let error: unknown
    try {
      sourceFromFlags(flags)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message.startsWith(message)).toBe(true)
    expect((error as Error).message).not.toContain('\n')
  })

  it('parses --start', () => {
    expect(parseKafkaStart('earliest')).toBe('earliest')
    expect(parseKafkaStart('1700000000000')).toEqual({ timestamp: 1_700_000_000_000 })
    expect(() => parseKafkaStart('yesterday-ish')).toThrow(ConfigError)
  })
})

describe('buildJobIo', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'rdg-job-io-'))

  it('a missing input file fails before anything starts', async () => {
    await expect(buildJobIo(login, { kind: 'file', path: '/no/such/file.jsonl' }, dir())).rejects.toThrow(
      /^input file \/no\/such\/file.jsonl does not exist/,
    )
  })

  it('the generator gives Avro the job decodes, with the catalogue found from the project root', async () => {
    const io = await buildJobIo(login, { kind: 'generator', count: 20, seed: 1 }, dir())
    await io.source.open({ jobName: 'login-events', clock: new ManualClock(), restoredPositions: null, checkpointNow: async () => {} })
    const batch = await io.source.poll(100)
    expect(batch.records).toHaveLength(20)
    expect(batch.end).toBe(true)
    expect(batch.records[0]!.value).toBeInstanceOf(Buffer)
    expect(io.decode(batch.records[0]!.value)).toMatchObject({ accountId: expect.stringMatching(/^acct-/) })
    expect(io.deadLetters).toMatch(/dead-letters.jsonl$/)
    expect(sideInputDirFor(login)).toBe(PACKAGE_ROOT)
    expect(sideInputDirFor({ ...login })).toBe(process.cwd())
  })

  it('a user topic has no generated events', async () => {
    await expect(buildJobIo({ ...login, topic: 'clicks' }, { kind: 'generator' }, dir())).rejects.toThrow(
      /the generator has no events for topic "clicks"/,
    )
  })
})
