import { gzipSync } from 'node:zlib'
import { CompressionCodecs, CompressionTypes } from 'kafkajs'
import { compress as rawSnappy } from 'snappyjs'
import { describe, expect, it } from 'vitest'
import {
  compressionType,
  lz4Decode,
  lz4Encode,
  parseCompression,
  snappyDecode,
  snappyEncode,
  zstdDecode,
  zstdEncode,
} from '../../../connectors/kafka/compression.ts'
import { ConfigError } from '../../../base/errors.ts'

// Inputs that cross the codecs' block sizes (32 KB xerial, 64 KB lz4) and an empty one.
function inputs(): Buffer[] {
  const text = Buffer.from('{"accountId":"a1","kind":"play","position":1042}\n'.repeat(5_000))
  const noise = Buffer.alloc(200_000)
  let x = 12345
  for (let i = 0; i < noise.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    noise[i] = x >>> 24
  }
  return [Buffer.alloc(0), Buffer.from('x'), Buffer.from('hello hello hello hello'), text, noise, Buffer.alloc(65_536, 7)]
}

describe('Kafka compression codecs', () => {
  it('snappy round-trips in xerial framing and reads raw snappy too', () => {
    for (const input of inputs()) {
      const framed = snappyEncode(input)
      expect(framed.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]))
      expect(snappyDecode(framed).equals(input)).toBe(true)
      expect(snappyDecode(Buffer.from(rawSnappy(input))).equals(input)).toBe(true)
    }
  })

  it('lz4 round-trips as a frame with independent blocks', () => {
    for (const input of inputs()) {
      const frame = lz4Encode(input)
      expect(frame.readUInt32LE(0)).toBe(0x184d2204)
      expect(frame[4]! & 0x20).toBe(0x20)
      expect(lz4Decode(frame).equals(input)).toBe(true)
    }
    // compressible text really shrinks
    const text = inputs()[3]!
    expect(lz4Encode(text).length).toBeLessThan(text.length / 5)
  })

  it('zstd round-trips', async () => {
    for (const input of inputs()) {
      const frame = await zstdEncode(input)
      expect(frame.readUInt32LE(0)).toBe(0xfd2fb528)
      expect(zstdDecode(frame).equals(input)).toBe(true)
    }
  })

  it('registers every codec with kafkajs', async () => {
    const input = inputs()[3]!
    const codecs = CompressionCodecs as Record<
      number,
      () => { compress(e: unknown): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
    >
    for (const type of [CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
      const codec = codecs[type]!()
      const out = await codec.compress({ buffer: input })
      expect((await codec.decompress(out)).equals(input)).toBe(true)
    }
    expect((await codecs[CompressionTypes.GZIP]!().decompress(gzipSync(input))).equals(input)).toBe(true)
  })

  it('parses names and maps them to kafkajs types', () => {
    expect(parseCompression(undefined)).toBe('none')
    expect(parseCompression('LZ4')).toBe('lz4')
    expect(compressionType('zstd')).toBe(CompressionTypes.ZSTD)
    expect(compressionType('none')).toBe(CompressionTypes.None)
    expect(() => parseCompression('brotli')).toThrow(ConfigError)
  })
})
