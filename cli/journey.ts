/**
 * One member's cross-device journey, read back from the graph through the query API:
 * account → has_profile → profile → started_watching title (and the devices it streamed
 * from) → plays the game based on that title, on one of the account's devices.
 * Found by starting from games that are based on a title and walking back to players.
 *
 * @example
 * const journey = await findJourney(new GraphQuery(store, schema))
 * if (journey) for (const line of formatJourney(journey)) console.log(line)
 */
import type { GraphQuery, Neighbor } from '../store/graph-query.ts'
import type { NodeRef, Properties } from '../graph/model.ts'

export interface Journey {
  readonly account: string
  readonly profile: string
  /** Devices the account logged in from, with country and last login. */
  readonly logins: ReadonlyArray<{
    readonly device: string
    readonly deviceType: string | null
    readonly country: string | null
    readonly lastLogin: number
  }>
  /** Devices the profile streamed from, oldest last-seen first. */
  readonly streamedFrom: ReadonlyArray<{ readonly device: string; readonly deviceType: string | null; readonly lastSeen: number }>
  readonly title: {
    readonly id: string
    readonly name: string | null
    readonly positionSec: number
    readonly lastDeviceType: string | null
    readonly lastWatchTime: number
  }
  readonly game: {
    readonly id: string
    readonly name: string | null
    readonly lastPlayed: number
    readonly sessionSec: number
    readonly device: string | null
    readonly deviceType: string | null
  }
}

const str = (p: Properties | undefined, k: string): string | null => (typeof p?.[k] === 'string' ? p[k] : null)
const num = (p: Properties | undefined, k: string): number => (typeof p?.[k] === 'number' ? p[k] : 0)

/** Games to start from, in catalogue order; the demo passes the ones it knows. */
export async function findJourney(query: GraphQuery, games: readonly string[]): Promise<Journey | null> {
  for (const gameId of games) {
    const game: NodeRef = { type: 'game', id: gameId }
    const [basedOn] = (await query.neighbors(game, 'based_on')).neighbors
    if (!basedOn) continue
    const players = (await query.neighbors(game, 'plays', { direction: 'in', limit: 50 })).neighbors
    // every player's watched titles in one batch
    const watched = await query.neighborsOfMany(
      players.map((p) => p.node),
      'started_watching',
      { limit: 500 },
    )
    for (const [i, player] of players.entries()) {
      const title = watched[i]!.neighbors.find((w) => w.node.id === basedOn.node.id)
      if (!title) continue
      const [account] = (await query.neighbors(player.node, 'has_profile', { direction: 'in' })).neighbors
      if (!account) continue
      return read(query, account.node.id, player, title, game)
    }
  }
  return null
}

async function read(query: GraphQuery, accountId: string, player: Neighbor, title: Neighbor, game: NodeRef): Promise<Journey> {
  const [logins, streamed, playedOn] = await Promise.all([
    query.neighbors({ type: 'account', id: accountId }, 'logged_in_from'),
    query.neighbors(player.node, 'streamed_from'),
    query.neighbors(game, 'played_on', { limit: 10_000 }),
  ])
  const accountDevices = new Set(logins.neighbors.map((l) => l.node.id))
  const tablet = playedOn.neighbors.find((d) => accountDevices.has(d.node.id)) ?? null
  const deviceRefs = [...logins.neighbors.map((l) => l.node), ...streamed.neighbors.map((s) => s.node), ...(tablet ? [tablet.node] : [])]
  const [titleNode, gameNode, ...devices] = await query.getNodes([title.node, game, ...deviceRefs])
  const deviceType = new Map(devices.filter((d) => d !== null).map((d) => [d.ref.id, str(d.properties, 'deviceType')]))
  return {
    account: accountId,
    profile: player.node.id,
    logins: logins.neighbors.map((l) => ({
      device: l.node.id,
      deviceType: deviceType.get(l.node.id) ?? null,
      country: str(l.properties, 'country'),
      lastLogin: num(l.properties, 'lastLogin'),
    })),
    streamedFrom: streamed.neighbors
      .map((s) => ({ device: s.node.id, deviceType: deviceType.get(s.node.id) ?? null, lastSeen: num(s.properties, 'lastSeen') }))
      .sort((a, b) => a.lastSeen - b.lastSeen),
    title: {
      id: title.node.id,
      name: str(titleNode?.properties, 'name'),
      positionSec: num(title.properties, 'positionSec'),
      lastDeviceType: str(title.properties, 'deviceType'),
      lastWatchTime: num(title.properties, 'lastWatchTime'),
    },
    game: {
      id: game.id,
      name: str(gameNode?.properties, 'name'),
      lastPlayed: num(player.properties, 'lastPlayed'),
      sessionSec: num(player.properties, 'sessionSec'),
      device: tablet?.node.id ?? null,
      deviceType: tablet ? (deviceType.get(tablet.node.id) ?? null) : null,
    },
  }
}

const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** The journey as a few lines of text. */
export function formatJourney(j: Journey): string[] {
  const lines = [`account ${j.account}, profile ${j.profile}`]
  for (const l of j.logins)
    lines.push(`  logged in from   ${(l.deviceType ?? '?').padEnd(7)} ${l.device}  ${l.country ?? '?'}  last ${time(l.lastLogin)}`)
  for (const s of j.streamedFrom) lines.push(`  streamed on      ${(s.deviceType ?? '?').padEnd(7)} ${s.device}  last ${time(s.lastSeen)}`)
  lines.push(
    `  watched          ${j.title.name ?? j.title.id}: at ${j.title.positionSec} s, last on the ${j.title.lastDeviceType ?? '?'} at ${time(j.title.lastWatchTime)}`,
  )
  const where = j.game.device ? ` on the ${j.game.deviceType ?? '?'} ${j.game.device}` : ''
  lines.push(
    `  then played      ${j.game.name ?? j.game.id} (based on it)${where}: ${j.game.sessionSec} s, last ${time(j.game.lastPlayed)}`,
  )
  return lines
}
