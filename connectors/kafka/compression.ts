/**
 * Kafka record-batch compression beyond kafkajs's built-in gzip: snappy, lz4 and zstd
 * codecs registered into kafkajs's codec table once, on import (client.ts imports this, so
 * every consumer reads every codec). The bytes are what the Java client writes and reads:
 *
 * - snappy: xerial framing (SnappyOutputStream: 16-byte magic header, then blocks of
 *   `int32 length + raw snappy`); raw unframed snappy (what some non-Java clients write)
 *   is also accepted on read.
 * - lz4: the LZ4 frame format with independent blocks, which Kafka's
 *   KafkaLZ4BlockInputStream insists on.
 * - zstd: standard zstd frames (fzstd reads, the zstd WASM build writes).
 *
 * All pure JS or WASM: nothing to build natively.
 *
 * @example
 * import { compressionType } from './compression.ts'
 * await producer.send({ topic, messages, compression: compressionType('lz4') })
 */
// so a project type-checking rdg's sources (installed as a package) sees the codecs' types too
/// <reference path="./compression-libs.d.ts" />
import kafkajs from 'kafkajs'
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappyjs'
import { compressBlock as lz4CompressBlock, compressBound as lz4CompressBound, decompress as lz4Decompress } from 'lz4js'
import { hash as xxh32 } from 'lz4js/xxh32.js'
import { decompress as zstdDecompress } from 'fzstd'
import { ConfigError } from '../../base/errors.ts'

// kafkajs is CommonJS and Node's ESM loader cannot see these two as named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs
type CompressionTypes = kafkajs.CompressionTypes

export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type Compression = (typeof COMPRESSIONS)[number]

/** kafkajs's enum value for a compression name. */
export function compressionType(compression: Compression): CompressionTypes {
  switch (compression) {
    case 'none':
      return CompressionTypes.None
    case 'gzip':
      return CompressionTypes.GZIP
    case 'snappy':
      return CompressionTypes.Snappy
    case 'lz4':
      return CompressionTypes.LZ4
    case 'zstd':
      return CompressionTypes.ZSTD
  }
}

/** Checks a user-given name (a CLI flag, a job option); anything else is a ConfigError. */
export function parseCompression(value: string | undefined): Compression {
  if (value === undefined || value === '') return 'none'
  const v = value.toLowerCase()
  if ((COMPRESSIONS as readonly string[]).includes(v)) return v as Compression
  throw new ConfigError(`unknown compression ${JSON.stringify(value)}`, `use one of ${COMPRESSIONS.join(', ')}`)
}

// --- snappy (xerial framing) ---

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER = 16
/** SnappyOutputStream's default block size. */
const XERIAL_BLOCK = 32 * 1024

export function snappyEncode(input: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, int32(1), int32(1)]
  for (let i = 0; i < input.length; i += XERIAL_BLOCK) {
    const block = Buffer.from(snappyCompress(input.subarray(i, i + XERIAL_BLOCK)))
    parts.push(int32(block.length), block)
  }
  return Buffer.concat(parts)
}

export function snappyDecode(input: Buffer): Buffer {
  if (input.length < XERIAL_HEADER || !input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return Buffer.from(snappyUncompress(input))
  }
  const parts: Buffer[] = []
  let at = XERIAL_HEADER
  while (at < input.length) {
    if (at + 4 > input.length) throw new Error('snappy: truncated xerial block header')
    const length = input.readUInt32BE(at)
    at += 4
    if (at + length > input.length) throw new Error('snappy: truncated xerial block')
    parts.push(Buffer.from(snappyUncompress(input.subarray(at, at + length))))
    at += length
  }
  return Buffer.concat(parts)
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

// --- lz4 (frame format) ---

const LZ4_MAGIC = 0x184d2204
/** Version 01 + block independence; no checksums (as KafkaLZ4BlockOutputStream writes). */
const LZ4_FLG = 0x60
/** Block maximum size 64 KB (BD id 4), Kafka's default. */
const LZ4_BD = 4 << 4
const LZ4_BLOCK = 64 * 1024

export function lz4Encode(input: Buffer): Buffer {
  const header = Buffer.alloc(7)
  header.writeUInt32LE(LZ4_MAGIC, 0)
  header[4] = LZ4_FLG
  header[5] = LZ4_BD
  header[6] = (xxh32(0, header, 4, 2) >>> 8) & 0xff
  const parts: Buffer[] = [header]
  const scratch = Buffer.alloc(lz4CompressBound(LZ4_BLOCK))
  const table = new Uint32Array(1 << 16)
  for (let i = 0; i < input.length; i += LZ4_BLOCK) {
    const block = input.subarray(i, i + LZ4_BLOCK)
    // A fresh table and a block-relative view: matches never reach into an earlier block.
    table.fill(0)
    const size = lz4CompressBlock(block, scratch, 0, block.length, table)
    if (size === 0 || size >= block.length) {
      parts.push(uint32le(0x80000000 | block.length), Buffer.from(block))
    } else {
      parts.push(uint32le(size), Buffer.from(scratch.subarray(0, size)))
    }
  }
  parts.push(uint32le(0))
  return Buffer.concat(parts)
}

export function lz4Decode(input: Buffer): Buffer {
  return Buffer.from(lz4Decompress(input))
}

function uint32le(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b
}

// --- zstd ---

type ZstdWasm = { compress(buf: Uint8Array, level?: number): Uint8Array }
let zstdWasm: Promise<ZstdWasm> | null = null

/** Loads the WASM compressor on first use (reading needs none of it). */
function loadZstd(): Promise<ZstdWasm> {
  zstdWasm ??= import('@bokuweb/zstd-wasm').then(async (m) => {
    await m.init()
    return m
  })
  return zstdWasm
}

/** Level 3, the zstd library's (and Kafka's) default. */
export async function zstdEncode(input: Buffer): Promise<Buffer> {
  return Buffer.from((await loadZstd()).compress(input, 3))
}

export function zstdDecode(input: Buffer): Buffer {
  return Buffer.from(zstdDecompress(input))
}

// --- registration ---

type Codec = { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> }

const codecs: Record<number, Codec> = {
  [CompressionTypes.Snappy]: {
    compress: async (e) => snappyEncode(e.buffer),
    decompress: async (b) => snappyDecode(b),
  },
  [CompressionTypes.LZ4]: {
    compress: async (e) => lz4Encode(e.buffer),
    decompress: async (b) => lz4Decode(b),
  },
  [CompressionTypes.ZSTD]: {
    compress: (e) => zstdEncode(e.buffer),
    decompress: async (b) => zstdDecode(b),
  },
}

for (const [type, codec] of Object.entries(codecs)) {
  ;(CompressionCodecs as Record<number, () => Codec>)[Number(type)] = () => codec
}
