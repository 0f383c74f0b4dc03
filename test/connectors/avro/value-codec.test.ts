import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import avro from 'avsc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../base/clock.ts'
import { ConfigError } from '../../../base/errors.ts'
import { avro as avroFormat, json } from '../../../graph/job-definition.ts'
import { SchemaDirectory } from '../../../connectors/avro/schema-directory.ts'
import { createValueDecoder } from '../../../connectors/avro/value-decoder.ts'
import { createAvroEncoder, createValueEncoder } from '../../../connectors/avro/value-encoder.ts'
import { DecodeError, frame, schemaIdOf } from '../../../connectors/avro/wire-format.ts'
import { startSchemaRegistry, type TestSchemaRegistry } from '../../infra/kafka-schema-registry.ts'

interface Login {
  accountId: string
  ts: number
  ip: string
}

const v1 = {
  type: 'record',
  name: 'Login',
  namespace: 'test',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'ts', type: 'long' },
    { name: 'ip', type: 'string', default: '0.0.0.0' },
  ],
}
/** v2: a new field with a default; `ip` dropped (the v1 reader fills in its default). */
const v2 = {
  type: 'record',
  name: 'Login',
  namespace: 'test',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'ts', type: 'long' },
    { name: 'country', type: 'string', default: 'US' },
  ],
}
/** Not readable as v1: `ts` became a string. */
const broken = {
  ...v1,
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'ts', type: 'string' },
  ],
}
const format = avroFormat<Login>(v1)
const rec = (value: unknown) => ({ value })

let base: string
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'rdg-avro-'))
})
afterAll(() => rmSync(base, { recursive: true, force: true }))

describe('Confluent wire format', () => {
  it('frames and reads back the schema id', () => {
    const framed = frame(258, Buffer.from([1, 2, 3]))
    expect([...framed]).toEqual([0, 0, 0, 1, 2, 1, 2, 3])
    expect(schemaIdOf(framed)).toBe(258)
  })

  it('says what is wrong with a value that is not framed', () => {
    expect(() => schemaIdOf(Buffer.alloc(0))).toThrow(/empty value/)
    expect(() => schemaIdOf(Buffer.from('{"a":1}'))).toThrow(/wrong magic byte 0x7b.*looks like JSON/)
    expect(() => schemaIdOf(Buffer.from([0, 0, 1]))).toThrow(/too short/)
    expect(() => schemaIdOf(Buffer.from([0, 0, 1]))).toThrow(DecodeError)
  })
})

describe('schema directory', () => {
  it('registers versions as <subject>/v<version>-id<id>.avsc and decodes an evolved writer into the reader schema', async () => {
    const dir = join(base, 'evolve')
    const producerV1 = await createValueEncoder(format, { topic: 'logins', schemaDir: dir })
    const producerV2 = await createAvroEncoder<{ accountId: string; ts: number; country: string }>(v2, { topic: 'logins', schemaDir: dir })
    expect(readdirSync(join(dir, 'logins-value')).sort()).toEqual(['v1-id1.avsc', 'v2-id2.avsc'])
    expect([producerV1.schemaId, producerV2.schemaId]).toEqual([1, 2])
    // registering the same schema again finds it
    expect((await createValueEncoder(format, { topic: 'logins', schemaDir: dir })).schemaId).toBe(1)

    const decode = await createValueDecoder(format, { schemaDir: dir })
    const records = [
      rec(producerV1.encode({ accountId: 'a1', ts: 5, ip: '10.0.0.1' })),
      rec(producerV2.encode({ accountId: 'a2', ts: 6, country: 'NL' })),
    ]
    await decode.prepare(records)
    expect(decode.prepare(records)).toBeNull()
    expect({ ...decode(records[0]!.value) }).toEqual({ accountId: 'a1', ts: 5, ip: '10.0.0.1' })
    expect({ ...decode(records[1]!.value) }).toEqual({ accountId: 'a2', ts: 6, ip: '0.0.0.0' })
  })

  it('decodes just the projected fields of old and evolved writers, and says so', async () => {
    const dir = join(base, 'projected')
    const producerV1 = await createValueEncoder(format, { topic: 'logins', schemaDir: dir })
    const producerV2 = await createAvroEncoder<{ accountId: string; ts: number; country: string }>(v2, { topic: 'logins', schemaDir: dir })
    const decode = await createValueDecoder(format, { schemaDir: dir, fields: ['ts', 'accountId'] })
    expect(decode.fields).toEqual(['accountId', 'ts'])
    const records = [
      rec(producerV1.encode({ accountId: 'a1', ts: 5, ip: '10.0.0.1' })),
      rec(producerV2.encode({ accountId: 'a2', ts: 6, country: 'NL' })),
    ]
    await decode.prepare(records)
    expect({ ...decode(records[0]!.value) }).toEqual({ accountId: 'a1', ts: 5 })
    expect({ ...decode(records[1]!.value) }).toEqual({ accountId: 'a2', ts: 6 })
    // a truncated record is still an error, not a shorter event
    const cut = (records[0]!.value as Buffer).subarray(0, (records[0]!.value as Buffer).length - 3)
    expect(() => decode(cut)).toThrow(DecodeError)
  })

  it('rejects registering a schema that cannot read the latest version', async () => {
    const dir = join(base, 'incompatible')
    await createValueEncoder(format, { topic: 't', schemaDir: dir })
    await expect(createAvroEncoder(broken, { topic: 't', schemaDir: dir })).rejects.toThrow(/not backward compatible with v1/)
  })

  it('dead-letters an unknown id until the file appears and the recheck time has passed', async () => {
    const dir = join(base, 'late-file')
    mkdirSync(dir)
    const clock = new ManualClock(0)
    const decode = await createValueDecoder(format, { schemaDir: dir, clock, unknownIdRecheckMs: 1_000 })
    const value = frame(7, avro.Type.forSchema(v1 as avro.Schema).toBuffer({ accountId: 'a', ts: 1, ip: 'x' }))
    await decode.prepare([rec(value)])
    expect(() => decode(value)).toThrow(/unknown schema id 7: not in schema directory/)
    mkdirSync(join(dir, 'other-value'))
    writeFileSync(join(dir, 'other-value', 'v1-id7.avsc'), JSON.stringify(v1))
    expect(decode.prepare([rec(value)])).toBeNull() // not rechecked yet
    clock.advance(1_000)
    await decode.prepare([rec(value)])
    expect(decode(value)).toMatchObject({ accountId: 'a', ts: 1 })
  })

  it('gives clear reasons for malformed bytes and incompatible writers', async () => {
    const dir = join(base, 'bad')
    const good = await createValueEncoder(format, { topic: 'good', schemaDir: dir })
    const bad = await createAvroEncoder<{ accountId: string; ts: string }>(broken, { topic: 'bad', schemaDir: dir })
    const decode = await createValueDecoder(format, { schemaDir: dir })
    const truncated = good.encode({ accountId: 'abc', ts: 1_700_000_000_000, ip: 'x' }).subarray(0, 9)
    const incompatible = bad.encode({ accountId: 'a', ts: 'yesterday' })
    await decode.prepare([rec(truncated), rec(incompatible)])
    expect(() => decode(truncated)).toThrow(/invalid Avro for schema id 1: truncated buffer/)
    expect(() => decode(incompatible)).toThrow(/writer schema id 2 \(test.Login\) cannot be read as test.Login/)
    expect(() => decode(Buffer.from('{"accountId":"a"}'))).toThrow(/wrong magic byte/)
    expect(() => decode('text')).toThrow(/expected Avro bytes/)
  })

  it('is a one-line ConfigError when the directory is missing or neither source is given', async () => {
    await expect(createValueDecoder(format, { schemaDir: join(base, 'nope') })).rejects.toThrow(ConfigError)
    await expect(createValueDecoder(format, {})).rejects.toThrow(/pass --registry <url> or --schema-dir <dir>/)
    await expect(createValueDecoder(format, { registryUrl: 'http://x', schemaDir: base })).rejects.toThrow(/only one/)
  })

  it('rejects two schema files that claim the same id', async () => {
    const dir = join(base, 'clash')
    mkdirSync(join(dir, 'a-value'), { recursive: true })
    mkdirSync(join(dir, 'b-value'), { recursive: true })
    writeFileSync(join(dir, 'a-value', 'v1-id1.avsc'), JSON.stringify(v1))
    writeFileSync(join(dir, 'b-value', 'v1-id1.avsc'), JSON.stringify(v2))
    await expect(SchemaDirectory.open(dir)).rejects.toThrow(/schema id 1 is used twice/)
  })
})

describe('schema registry over HTTP (test registry: our own fake of the Confluent API)', () => {
  let registry: TestSchemaRegistry
  beforeAll(async () => {
    registry = await startSchemaRegistry()
  })
  afterAll(() => registry.close())

  it('registers, fetches each writer schema once, and resolves evolution', async () => {
    const producerV1 = await createValueEncoder(format, { topic: 'reg-logins', registryUrl: registry.url })
    const producerV2 = await createAvroEncoder<{ accountId: string; ts: number; country: string }>(v2, {
      topic: 'reg-logins',
      registryUrl: registry.url,
    })
    expect(producerV2.schemaId).not.toBe(producerV1.schemaId)
    const decode = await createValueDecoder(format, { registryUrl: registry.url })
    const batch = Array.from({ length: 50 }, (_, i) =>
      rec((i % 2 ? producerV2 : producerV1).encode({ accountId: `a${i}`, ts: i, ip: 'i', country: 'c' })),
    )
    registry.requests.length = 0
    await decode.prepare(batch)
    expect(decode.prepare(batch)).toBeNull()
    expect(registry.requests.filter((r) => r.startsWith('GET /schemas/ids/')).sort()).toEqual([
      `GET /schemas/ids/${producerV1.schemaId}`,
      `GET /schemas/ids/${producerV2.schemaId}`,
    ])
    expect(batch.map((r) => decode(r.value).ip)).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 ? '0.0.0.0' : 'i')))
  })

  it('refuses an incompatible schema with a one-line error', async () => {
    await createValueEncoder(format, { topic: 'reg-strict', registryUrl: registry.url })
    await expect(createAvroEncoder(broken, { topic: 'reg-strict', registryUrl: registry.url })).rejects.toThrow(
      /rejected the schema for reg-strict-value/,
    )
  })

  it('waits out a registry that is down instead of dead-lettering, and knows a missing id', async () => {
    const producer = await createAvroEncoder<{ accountId: string; ts: number; country: string }>(
      { ...v2, name: 'Login2' },
      { topic: 'reg-down', registryUrl: registry.url },
    )
    const warnings: string[] = []
    const decode = await createValueDecoder(avroFormat<unknown>({ ...v2, name: 'Login2' }), {
      registryUrl: registry.url,
      warn: (m) => warnings.push(m),
    })
    const value = producer.encode({ accountId: 'a', ts: 1, country: 'NL' })
    registry.failNext(5) // more than the client's own retries
    await decode.prepare([rec(value)])
    expect(warnings.length).toBeGreaterThan(0)
    expect(decode(value)).toMatchObject({ accountId: 'a', country: 'NL' })
    const unknown = frame(999, Buffer.from([0]))
    await decode.prepare([rec(unknown)])
    expect(() => decode(unknown)).toThrow(`unknown schema id 999: not in schema registry ${registry.url}`)
  })

  it('is a ConfigError when the registry does not answer', async () => {
    const dead = await startSchemaRegistry()
    await dead.close()
    await expect(createValueDecoder(format, { registryUrl: dead.url })).rejects.toThrow(
      /schema registry http:\/\/127.0.0.1:\d+ does not answer/,
    )
  })
})

describe('JSON values', () => {
  it('decodes objects and explains everything else', async () => {
    const decode = await createValueDecoder(json<{ a: number }>())
    expect(decode.prepare([rec('x')])).toBeNull()
    expect(decode(Buffer.from('{"a":1}'))).toEqual({ a: 1 })
    expect(() => decode(Buffer.from('{"a":'))).toThrow(/invalid JSON/)
    expect(() => decode(Buffer.from('[1]'))).toThrow(/expected a JSON object/)
    expect(() => decode(Buffer.alloc(0))).toThrow(/empty value/)
  })
})
