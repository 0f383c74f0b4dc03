import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { createDecoder } from '../../../connectors/avro/decoder.ts'
import { internedStrings } from '../../../connectors/avro/interned-strings.ts'
import { projectedReader } from '../../../connectors/avro/reader-projection.ts'
import { avro as avroFormat } from '../../../graph/job-definition.ts'

const schema = {
  type: 'record',
  name: 'Play',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'accountId', type: 'string' },
    { name: 'action', type: { type: 'enum', name: 'Action', symbols: ['start', 'stop'] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'ts', type: 'long' },
    { name: 'again', type: ['null', 'Action'], default: null },
  ],
}
const type = avro.Type.forSchema(schema as avro.Schema)
const event = { eventId: 'e1', accountId: 'a1', action: 'stop', tags: ['x', 'y'], ts: 7, again: 'start' }
const format = avroFormat<typeof event>(schema)

describe('Avro decoding with a projection pushed down', () => {
  it('yields just the kept fields, skipping strings, enums and arrays in between', () => {
    const decode = createDecoder(format, 'avro', ['ts', 'accountId'])
    expect(decode.fields).toEqual(['accountId', 'ts'])
    expect({ ...decode(type.toBuffer(event)) }).toEqual({ accountId: 'a1', ts: 7 })
  })

  it('still rejects truncated bytes and trailing garbage', () => {
    const decode = createDecoder(format, 'avro', ['accountId', 'ts'])
    const bytes = type.toBuffer(event)
    expect(() => decode(bytes.subarray(0, bytes.length - 2))).toThrow()
    expect(() => decode(Buffer.concat([bytes, Buffer.from([1, 2, 3])]))).toThrow()
  })

  it('decodes whole records when it cannot project, and says so by leaving `fields` unset', () => {
    // a kept field names a type that only a dropped field defines
    expect(projectedReader(schema, ['again', 'ts'])).toBeNull()
    const whole = createDecoder(format, 'avro', ['again', 'ts'])
    expect(whole.fields).toBeUndefined()
    expect({ ...whole(type.toBuffer(event)) }).toEqual(event)
    // unknown field, every field, no list: nothing to push down
    expect(projectedReader(schema, ['nope'])).toBeNull()
    expect(
      projectedReader(
        schema,
        schema.fields.map((f) => f.name),
      ),
    ).toBeNull()
    expect(createDecoder(format, 'avro').fields).toBeUndefined()
  })
})

describe('interned Avro strings', () => {
  it('decodes exactly what avsc decodes, repeats as the same string, long and non-ASCII strings too', () => {
    const s = {
      type: 'record',
      name: 'S',
      fields: [
        { name: 'a', type: 'string' },
        { name: 'b', type: ['null', 'string'] },
        { name: 'c', type: { type: 'array', items: 'string' } },
      ],
    }
    const plain = avro.Type.forSchema(s as avro.Schema)
    const interned = avro.Type.forSchema(s as avro.Schema, { typeHook: internedStrings })
    const values = [
      { a: 'acct-00001', b: 'p1', c: ['x', 'acct-00001'] },
      { a: 'acct-00002', b: null, c: [] },
      { a: 'é∂ü-ß', b: 'x'.repeat(200), c: ['', 'acct-00001'] },
      { a: 'acct-00001', b: 'p1', c: ['acct-00002'] },
    ]
    for (let round = 0; round < 3; round++) {
      for (const v of values) expect(interned.fromBuffer(plain.toBuffer(v))).toEqual(plain.fromBuffer(plain.toBuffer(v)))
    }
    // thousands of distinct ids: slots are overwritten, results stay right
    for (let i = 0; i < 20_000; i++) {
      const v = { a: `id-${i}`, b: `id-${i % 7}`, c: [`id-${(i * 31) % 5_000}`] }
      expect(interned.fromBuffer(plain.toBuffer(v))).toEqual(v)
    }
    // truncated input is still an error
    const bytes = plain.toBuffer(values[0])
    expect(() => interned.fromBuffer(bytes.subarray(0, 5))).toThrow()
  })
})
