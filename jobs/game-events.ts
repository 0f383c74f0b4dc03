/**
 * game-events: a profile plays a game on a device. Yields profile, game and device
 * nodes and the plays and played_on edges, and links the game to the title it is based
 * on (based_on) where the game catalogue names one.
 */
import { defineGraphSchema } from '../graph/schema.ts'
import { avro, defineJob } from '../graph/job-definition.ts'
import { sideInput } from '../operators/side-input.ts'

export interface GameEvent {
  eventId: string
  accountId: string
  profileId: string
  gameId: string
  deviceId: string
  deviceType: string
  action: string
  sessionSec: number
  ts: number
  buildId: string
}

export const gameSchema = {
  type: 'record',
  name: 'GameEvent',
  namespace: 'rdg.events',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'accountId', type: 'string' },
    { name: 'profileId', type: 'string' },
    { name: 'gameId', type: 'string' },
    { name: 'deviceId', type: 'string' },
    { name: 'deviceType', type: 'string' },
    { name: 'action', type: { type: 'enum', name: 'GameAction', symbols: ['launch', 'heartbeat', 'quit'] } },
    { name: 'sessionSec', type: 'int' },
    { name: 'ts', type: 'long' },
    { name: 'buildId', type: 'string' },
  ],
}

export interface Game {
  gameId: string
  name: string
  titleId: string | null
}

export const gameGraph = defineGraphSchema({
  nodes: {
    profile: { properties: {} },
    device: { properties: { deviceType: 'string' } },
    game: { properties: { name: 'string?' } },
    title: { properties: { name: 'string?', genre: 'string?' } },
  },
  edges: {
    plays: { from: 'profile', to: 'game', direction: 'both', properties: { lastPlayed: 'timestamp', sessionSec: 'number' } },
    played_on: { from: 'game', to: 'device', direction: 'out', properties: { lastSeen: 'timestamp' } },
    based_on: { from: 'game', to: 'title', direction: 'both', properties: {} },
  },
})

export default defineJob({
  topic: 'game-events',
  description: 'which games profiles play, on which devices, and the titles they come from',
  value: avro<GameEvent>(gameSchema),
  eventTime: 'ts',
  watermark: { maxOutOfOrdernessMs: 2_000, idleTimeoutMs: 10_000 },
  filter: (e) => e.profileId !== '' && e.gameId !== '',
  // decoded fields only (see playback-events)
  project: ['profileId', 'gameId', 'deviceId', 'deviceType', 'sessionSec', 'ts'],
  enrich: {
    sideInputs: { games: sideInput<Game>({ path: 'data/catalog/games.json', key: 'gameId' }) },
    // Field by field, not `{ ...e, game }`: see playback-events (hidden-class explosion on Node 20).
    apply: (e, lookup) => ({
      profileId: e.profileId,
      gameId: e.gameId,
      deviceId: e.deviceId,
      deviceType: e.deviceType,
      sessionSec: e.sessionSec,
      ts: e.ts,
      game: lookup.games(e.gameId) ?? null,
    }),
  },
  graph: gameGraph,
  toGraph: (e, g) => {
    const profile = { type: 'profile', id: e.profileId } as const
    const game = { type: 'game', id: e.gameId } as const
    g.node('profile', e.profileId, {})
    g.node('device', e.deviceId, { deviceType: e.deviceType })
    g.node('game', e.gameId, e.game ? { name: e.game.name } : {})
    g.edge('plays', profile, game, { lastPlayed: e.ts, sessionSec: e.sessionSec })
    g.edge('played_on', game, { type: 'device', id: e.deviceId }, { lastSeen: e.ts })
    // The title node itself belongs to playback-events (which knows its name and genre).
    if (e.game?.titleId) {
      g.edge('based_on', game, { type: 'title', id: e.game.titleId }, {})
    }
  },
  dedup: { windowMs: 5_000 },
})
