import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { createDecoder } from '../../../src/connectors/avro/decoder.ts'
import { projectedReader } from '../../../src/connectors/avro/reader-projection.ts'
import type { ValueFormat } from '../../../src/engine/job-definition.ts'

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
const format = { format: 'avro', schema } as ValueFormat<typeof event>

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
    expect(projectedReader(schema, schema.fields.map((f) => f.name))).toBeNull()
    expect(createDecoder(format, 'avro').fields).toBeUndefined()
  })
})
