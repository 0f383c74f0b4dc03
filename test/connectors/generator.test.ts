import { describe, expect, it } from 'vitest'
import { GeneratorSource, topicEvents } from '../../connectors/generator/generator-source.ts'
import { createDecoder } from '../../connectors/avro/decoder.ts'
import playback, { playbackSchema, type PlaybackEvent } from '../../jobs/playback-events.ts'
import { ManualClock } from '../../base/clock.ts'

const take = <T>(it: Iterable<T>, n: number): T[] => {
  const out: T[] = []
  for (const x of it) {
    out.push(x)
    if (out.length >= n) break
  }
  return out
}

describe('generator', () => {
  it('is reproducible for a seed and different across seeds', () => {
    const a = take(topicEvents({ topic: 'login-events', seed: 3, encoding: 'object' }), 200)
    const b = take(topicEvents({ topic: 'login-events', seed: 3, encoding: 'object' }), 200)
    const c = take(topicEvents({ topic: 'login-events', seed: 4, encoding: 'object' }), 200)
    expect(a.map((x) => x.value)).toEqual(b.map((x) => x.value))
    expect(a.map((x) => x.value)).not.toEqual(c.map((x) => x.value))
  })

  it('produces cross-device journeys, heavy duplicates, bounded disorder and some malformed events', () => {
    const events = take(topicEvents({ topic: 'playback-events', seed: 1, encoding: 'object', malformedRate: 0.02 }), 3_000)
    const good = events.filter((e) => !e.event.malformed).map((e) => e.value as PlaybackEvent)
    const malformed = events.filter((e) => e.event.malformed)
    expect(malformed.length).toBeGreaterThan(20)
    expect(malformed.length).toBeLessThan(150)
    // a profile watches the same title on a phone and then on a TV
    const devicesPerProfileTitle = new Map<string, Set<string>>()
    for (const e of good) {
      const k = `${e.profileId}|${e.titleId}`
      if (!devicesPerProfileTitle.has(k)) devicesPerProfileTitle.set(k, new Set())
      devicesPerProfileTitle.get(k)!.add(e.deviceType)
    }
    expect([...devicesPerProfileTitle.values()].some((s) => s.has('phone') && s.has('tv'))).toBe(true)
    // heartbeats: many events per (profile, title, device)
    expect(good.length / new Set(good.map((e) => `${e.profileId}|${e.titleId}|${e.deviceId}`)).size).toBeGreaterThan(5)
    // out of order, but within 2 s of the running maximum
    let max = 0
    let disorder = 0
    for (const e of good) {
      if (e.ts < max) disorder = Math.max(disorder, max - e.ts)
      max = Math.max(max, e.ts)
    }
    expect(disorder).toBeGreaterThan(0)
    expect(disorder).toBeLessThanOrEqual(2_000)
  })

  it('encodes Avro that the job decodes, and resumes exactly from a position', async () => {
    const decode = createDecoder(playback.value, 'avro')
    const all = new GeneratorSource({ topic: 'playback-events', seed: 9, count: 50, schema: playbackSchema, malformedRate: 0 })
    await all.open({ jobName: 'x', clock: new ManualClock(), restoredPositions: null, checkpointNow: async () => {} })
    const first = await all.poll(50)
    expect(first.end).toBe(true)
    const decoded = first.records.map((r) => decode(r.value))
    expect(decoded[0]).toMatchObject({ action: 'start', positionSec: 0 })

    const resumed = new GeneratorSource({ topic: 'playback-events', seed: 9, count: 50, schema: playbackSchema, malformedRate: 0 })
    await resumed.open({ jobName: 'x', clock: new ManualClock(), restoredPositions: { '0': '30' }, checkpointNow: async () => {} })
    const rest = await resumed.poll(100)
    expect(rest.records.map((r) => decode(r.value))).toEqual(decoded.slice(30))
    expect(resumed.positions()).toEqual({ '0': '50' })
  })

  it('paces delivery by the injected clock when a rate is set', async () => {
    const clock = new ManualClock(0)
    const source = new GeneratorSource({ topic: 'game-events', seed: 1, rate: 100, encoding: 'object', clock })
    await source.open({ jobName: 'x', clock, restoredPositions: null, checkpointNow: async () => {} })
    clock.advance(1_000)
    expect((await source.poll(1_000)).records).toHaveLength(100)
    clock.advance(500)
    expect((await source.poll(1_000)).records).toHaveLength(50)
  })
})
