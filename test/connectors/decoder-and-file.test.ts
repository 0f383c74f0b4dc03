import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDecoder } from '../../connectors/avro/decoder.ts'
import { JsonLinesFileSource } from '../../connectors/file/jsonl-source.ts'
import { ManualClock } from '../../base/clock.ts'
import login from '../../jobs/login-events.ts'

const ctx = (positions: Record<string, string> | null = null) => ({
  jobName: 't',
  clock: new ManualClock(),
  restoredPositions: positions,
  checkpointNow: async () => {},
})

describe('decoders', () => {
  const ok = {
    eventId: 'e',
    accountId: 'a',
    deviceId: 'd',
    deviceType: 'tv',
    ip: '1.2.3.4',
    country: 'NL',
    success: true,
    ts: 5,
    userAgent: 'x',
  }
  it('checks JSON against the Avro schema and names the bad field', () => {
    const decode = createDecoder(login.value, 'json')
    expect(decode(JSON.stringify(ok))).toEqual(ok)
    expect(() => decode(JSON.stringify({ ...ok, ts: 'soon' }))).toThrow('field ts: expected long, got "soon"')
    expect(() => decode(JSON.stringify({ ...ok, ts: undefined }))).toThrow('field ts: expected long, got nothing')
    expect(() => decode('{oops')).toThrow(/^invalid JSON/)
  })
  it('reports undecodable Avro bytes', () => {
    const decode = createDecoder(login.value, 'avro')
    expect(() => decode(Buffer.from([1, 2, 3]))).toThrow()
  })
})

describe('JSON-lines file source', () => {
  it('reads lines with byte offsets as positions, ends at EOF and resumes from a position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-file-'))
    const path = join(dir, 'in.jsonl')
    writeFileSync(path, '{"n":1,"s":"é"}\n\n{"n":2}\n{"n":3}')
    const src = new JsonLinesFileSource({ path, chunkBytes: 5 })
    await src.open(ctx())
    const a = await src.poll(2)
    expect(a.records.map((r) => r.value)).toEqual(['{"n":1,"s":"é"}', '{"n":2}'])
    expect(a.end).toBe(false)
    const pos = src.positions()
    const b = await src.poll(10)
    expect(b.records.map((r) => r.value)).toEqual(['{"n":3}'])
    expect(b.end).toBe(true)
    await src.close()

    const again = new JsonLinesFileSource({ path })
    await again.open(ctx(pos))
    expect((await again.poll(10)).records.map((r) => r.value)).toEqual(['{"n":3}'])
    await again.close()
  })
})
