/**
 * Member journeys across the three topics, as in the RDG article: a member watches a
 * title on a phone, continues on the TV, then plays the related game on a tablet.
 * Heartbeats repeat the same graph facts many times (what dedup collapses); event times
 * jitter within a bound (out of order); a small share of events is malformed.
 *
 * Journeys run in waves of `concurrency` members at a time; a wave's events are merged in
 * time order (before jitter), so the stream is ordered up to the jitter.
 *
 * @example
 * for (const e of generateEvents({ seed: 7, accounts: 50 })) console.log(e.topic, e.value)
 */
import type { Prng } from './prng.ts'

export type Topic = 'playback-events' | 'login-events' | 'game-events'
export const TOPICS: readonly Topic[] = ['playback-events', 'login-events', 'game-events']

export interface GeneratedEvent {
  readonly topic: Topic
  /** The event as the topic's schema has it, or a malformed value (see `malformed`). */
  readonly value: Record<string, unknown>
  /** Set when the event is deliberately broken: 'garbage' (undecodable) or 'invalid' (missing or wrong-typed field). */
  readonly malformed?: 'garbage' | 'invalid'
}

export interface Catalog {
  readonly titles: readonly string[]
  /** Game id per title id, for titles that have a game. */
  readonly gameOfTitle: ReadonlyMap<string, string>
  /** Games without a title. */
  readonly standaloneGames: readonly string[]
}

export interface JourneyOptions {
  readonly accounts: number
  /** Event time of the first journey, epoch ms. */
  readonly startTime: number
  /** Heartbeats per watch session. */
  readonly heartbeats: number
  /** Heartbeat interval in event time. */
  readonly heartbeatMs: number
  /** Maximum backwards jitter of an event's time (out-of-orderness bound). */
  readonly jitterMs: number
  /** Share of malformed events. */
  readonly malformedRate: number
  /** Journeys that run at the same time (their events interleave). Default 8. */
  readonly concurrency?: number
}

interface Device {
  id: string
  type: 'phone' | 'tv' | 'tablet' | 'laptop'
}

interface Account {
  id: string
  profiles: string[]
  devices: Device[]
  country: string
  ip: string
}

const COUNTRIES = ['US', 'NL', 'BR', 'JP', 'IN', 'DE', 'KR', 'MX']

export function makeAccounts(rng: Prng, count: number): Account[] {
  const accounts: Account[] = []
  for (let i = 0; i < count; i++) {
    const id = `acct-${String(i).padStart(5, '0')}`
    const profiles = Array.from({ length: rng.int(1, 3) }, (_, p) => `${id}-p${p}`)
    const devices: Device[] = [
      { id: `dev-${rng.id()}`, type: 'phone' },
      { id: `dev-${rng.id()}`, type: 'tv' },
      { id: `dev-${rng.id()}`, type: 'tablet' },
    ]
    if (rng.chance(0.4)) devices.push({ id: `dev-${rng.id()}`, type: 'laptop' })
    accounts.push({
      id,
      profiles,
      devices,
      country: rng.pick(COUNTRIES),
      ip: `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    })
  }
  return accounts
}

/** An endless, deterministic sequence of events (stop by count). */
export function* generateEvents(rng: Prng, catalog: Catalog, options: JourneyOptions): Generator<GeneratedEvent> {
  const accounts = makeAccounts(rng, options.accounts)
  let now = options.startTime
  let seq = 0
  const jitter = (t: number) => t - rng.int(0, options.jitterMs)
  // un-jittered time of each event value, for ordering a wave
  const baseTime = new WeakMap<object, number>()
  const at = <T extends Record<string, unknown>>(value: T, t: number): T => {
    baseTime.set(value, t)
    return value
  }
  const eventId = () => `ev-${(seq++).toString(36)}`

  function* login(a: Account, d: Device, t: number): Generator<GeneratedEvent> {
    const success = !rng.chance(0.05)
    yield {
      topic: 'login-events',
      value: at(
        {
          eventId: eventId(),
          accountId: a.id,
          deviceId: d.id,
          deviceType: d.type,
          ip: d.type === 'phone' ? `172.16.${rng.int(0, 255)}.${rng.int(1, 254)}` : a.ip,
          country: a.country,
          success,
          ts: jitter(t),
          userAgent: `rdg-app/${d.type}`,
        },
        t,
      ),
    }
  }

  function* watch(a: Account, profile: string, d: Device, title: string, t: number, fromSec: number): Generator<GeneratedEvent, number> {
    let pos = fromSec
    const base = {
      accountId: a.id,
      profileId: profile,
      deviceId: d.id,
      deviceType: d.type,
      titleId: title,
      appVersion: '9.2.1',
      traceId: rng.id(16),
    }
    yield { topic: 'playback-events', value: at({ eventId: eventId(), ...base, action: 'start', positionSec: pos, ts: jitter(t) }, t) }
    for (let h = 0; h < options.heartbeats; h++) {
      t += options.heartbeatMs
      pos += Math.round(options.heartbeatMs / 1000)
      yield {
        topic: 'playback-events',
        value: at({ eventId: eventId(), ...base, action: 'heartbeat', positionSec: pos, ts: jitter(t) }, t),
      }
    }
    t += options.heartbeatMs
    yield { topic: 'playback-events', value: at({ eventId: eventId(), ...base, action: 'stop', positionSec: pos, ts: jitter(t) }, t) }
    return pos
  }

  function* play(a: Account, profile: string, d: Device, game: string, t: number): Generator<GeneratedEvent> {
    const base = { accountId: a.id, profileId: profile, gameId: game, deviceId: d.id, deviceType: d.type, buildId: 'b-2026.11' }
    let session = 0
    yield { topic: 'game-events', value: at({ eventId: eventId(), ...base, action: 'launch', sessionSec: 0, ts: jitter(t) }, t) }
    for (let h = 0; h < options.heartbeats; h++) {
      t += options.heartbeatMs
      session += Math.round(options.heartbeatMs / 1000)
      yield { topic: 'game-events', value: at({ eventId: eventId(), ...base, action: 'heartbeat', sessionSec: session, ts: jitter(t) }, t) }
    }
    yield {
      topic: 'game-events',
      value: at(
        { eventId: eventId(), ...base, action: 'quit', sessionSec: session, ts: jitter(t + options.heartbeatMs) },
        t + options.heartbeatMs,
      ),
    }
  }

  /** One member's journey starting at `now`; events carry their un-jittered time in `at`. */
  function* journey(): Generator<GeneratedEvent> {
    const a = rng.pick(accounts)
    const profile = rng.pick(a.profiles)
    const device = (type: Device['type']) => a.devices.find((d) => d.type === type)!
    const title = rng.pick(catalog.titles)
    const span = (options.heartbeats + 2) * options.heartbeatMs
    // 1. watch on the phone
    yield* login(a, device('phone'), now)
    const pos = yield* watch(a, profile, device('phone'), title, now + 1_000, 0)
    now += span + 5_000
    // 2. continue on the TV
    if (rng.chance(0.8)) {
      yield* login(a, device('tv'), now)
      yield* watch(a, profile, device('tv'), title, now + 1_000, pos)
      now += span + 5_000
    }
    // 3. play the related game (or another one) on the tablet
    const game = catalog.gameOfTitle.get(title) ?? (rng.chance(0.3) ? rng.pick(catalog.standaloneGames) : undefined)
    if (game) {
      yield* login(a, device('tablet'), now)
      yield* play(a, profile, device('tablet'), game, now + 1_000)
      now += span + 5_000
    }
    now += rng.int(1_000, 20_000)
  }

  const concurrency = options.concurrency ?? 8
  for (;;) {
    const waveStart = now
    const wave: Array<{ at: number; seq: number; e: GeneratedEvent }> = []
    let end = waveStart
    for (let j = 0; j < concurrency; j++) {
      now = waveStart + rng.int(0, options.heartbeatMs)
      for (const e of journey()) wave.push({ at: baseTime.get(e.value) ?? 0, seq: wave.length, e })
      end = Math.max(end, now)
    }
    now = end
    wave.sort((a, b) => a.at - b.at || a.seq - b.seq)
    for (const { e } of wave) {
      if (rng.chance(options.malformedRate)) yield breakEvent(rng, e)
      else yield e
    }
  }
}

/** A malformed variant: undecodable bytes, a missing field or a wrong type. */
function breakEvent(rng: Prng, e: GeneratedEvent): GeneratedEvent {
  const value = { ...e.value }
  const r = rng.int(0, 2)
  if (r === 0) return { topic: e.topic, value, malformed: 'garbage' }
  if (r === 1) delete value.ts
  else value.ts = 'yesterday'
  return { topic: e.topic, value, malformed: 'invalid' }
}
