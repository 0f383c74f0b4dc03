import { describe, expect, it } from 'vitest'
import { ConfigError, TransientError } from '../../../base/errors.ts'
import { deserializeError, packRecords, serializeError, unpackRecords } from '../../../connectors/kafka/fetch-protocol.ts'

describe('Kafka fetch worker protocol', () => {
  it('packs a batch into one buffer and unpacks the same records, empty values included', () => {
    const records = [
      { partition: 2, offset: '41', value: Buffer.from('first') },
      { partition: 0, offset: '9007199254740990', value: Buffer.alloc(0) },
      { partition: 2, offset: '42', value: Buffer.from([0, 1, 2, 255]) },
    ]
    const packed = packRecords(records)
    expect(packed.values.byteLength).toBe(9)
    const back = unpackRecords(structuredClone(packed))
    expect(back.map((r) => [r.partition, r.offset, [...r.value]])).toEqual(records.map((r) => [r.partition, r.offset, [...r.value]]))
    // one buffer under all values: nothing per message crossed the thread
    expect(back[0]!.value.buffer).toBe(back[2]!.value.buffer)
    expect(unpackRecords(packRecords([]))).toEqual([])
  })

  it('keeps the kind of an error across the thread: one-line config errors stay config errors', () => {
    const config = deserializeError(serializeError(new ConfigError('topic t does not exist', 'create it')))
    expect(config).toBeInstanceOf(ConfigError)
    expect(config.message).toBe('topic t does not exist; create it')
    expect(deserializeError(serializeError(new TransientError('broker away')))).toBeInstanceOf(TransientError)
    const other = deserializeError(serializeError(new RangeError('odd')))
    expect([other.name, other.message]).toEqual(['RangeError', 'odd'])
    expect(deserializeError(serializeError('a string')).message).toBe('a string')
  })
})
