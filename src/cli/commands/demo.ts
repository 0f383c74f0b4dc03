/**
 * `rdg-job demo`: the first thing to run. The three jobs on the built-in generator,
 * through the real engine (RocksDB state, checkpoints), into the embedded RocksDB graph
 * store under .rdg/demo; then one member's cross-device journey read back from the graph.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CommandModule } from 'yargs'
import { mergeGraphSchemas } from '../../graph/schema.ts'
import { GraphReader } from '../../graph/query.ts'
import { builtInJobs } from '../../jobs/registry.ts'
import { RocksDbKvStore } from '../../kv/rocksdb-store.ts'
import { fmt, formatTime } from '../output.ts'
import { runTopic, type TopicSummary } from '../run-topic.ts'

interface DemoArgs {
  dir: string
  events: number
  seed: number
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Run the three jobs on generated events into an embedded graph and show a member journey',
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: '.rdg/demo', describe: 'working directory (recreated)' })
      .option('events', { type: 'number', default: 20_000, describe: 'playback events (login and game events scale with it)' })
      .option('seed', { type: 'number', default: 7 }) as never,
  handler: async (args) => {
    await rm(args.dir, { recursive: true, force: true })
    const store = await RocksDbKvStore.open(join(args.dir, 'graph'))
    const summaries: TopicSummary[] = []
    try {
      const counts: Record<string, number> = { 'playback-events': args.events, 'login-events': Math.round(args.events / 5), 'game-events': Math.round(args.events / 2.5) }
      for (const job of builtInJobs.values()) {
        process.stderr.write(`running ${job.topic} …\n`)
        summaries.push(await runTopic({ job, source: { kind: 'generator', count: counts[job.topic]!, seed: args.seed, accounts: 200 }, dataDir: join(args.dir, 'jobs'), store, checkpointIntervalMs: 1_000 }))
      }
      console.log('rdg demo: generator → engine (RocksDB state, checkpoints) → embedded RocksDB graph\n')
      console.log('topic              events in   filtered  primitives → after dedup   ratio  dead letters  checkpoints    events/s')
      for (const s of summaries) {
        const m = s.metrics
        console.log(
          `${s.topic.padEnd(17)} ${fmt(m.recordsIn).padStart(10)} ${fmt(m.filtered).padStart(10)} ${fmt(m.primitivesBeforeDedup).padStart(11)} → ${fmt(m.primitivesAfterDedup).padStart(11)} ${(m.primitivesBeforeDedup / Math.max(1, m.primitivesAfterDedup)).toFixed(1).padStart(6)}x ${fmt(m.deadLetters).padStart(13)} ${String(m.checkpoints).padStart(12)} ${fmt(m.recordsIn / Math.max(0.001, s.seconds)).padStart(11)}`,
        )
      }
      const reader = new GraphReader(store, mergeGraphSchemas(...[...builtInJobs.values()].map((j) => j.graph)))
      await printJourney(reader)
      console.log(`\nGraph store: ${join(args.dir, 'graph')}  (try: rdg-job query neighbors account <id> has_profile --store ${join(args.dir, 'graph')})`)
    } finally {
      await store.close()
    }
  },
}

/** Finds a member who watched and then played the related game, and prints the journey from the graph. */
async function printJourney(reader: GraphReader): Promise<void> {
  // Start from a game based on a title and walk back to a player: game ← plays ← profile ← has_profile ← account.
  for (const gameId of ['g-stranger-things-3', 'g-squid-game-unleashed', 'g-witcher-monster-slayer', 'g-money-heist-ultimate', 'g-arcane-legends']) {
    const players = await reader.neighbors({ type: 'game', id: gameId }, 'plays', { direction: 'in', limit: 50 })
    const [basedOn] = await reader.neighbors({ type: 'game', id: gameId }, 'based_on')
    for (const player of players) {
      const watched = await reader.neighbors(player.node, 'started_watching')
      const title = watched.find((w) => w.node.id === basedOn?.node.id)
      if (!title) continue
      const [account] = await reader.neighbors(player.node, 'has_profile', { direction: 'in' })
      if (!account) continue
      const titleNode = await reader.node(title.node)
      const gameNode = await reader.node({ type: 'game', id: gameId })
      const devices = await reader.neighbors(player.node, 'streamed_from')
      const logins = await reader.neighbors(account.node, 'logged_in_from')
      const playedOn = await reader.neighbors({ type: 'game', id: gameId }, 'played_on')
      console.log(`\nOne member's journey, read back from the graph (account ${account.node.id}, profile ${player.node.id}):`)
      console.log(`  logged in from    ${logins.map((l) => `${l.node.id} (${String(l.properties.country)}, ${formatTime(Number(l.properties.lastLogin))})`).join(', ') || '-'}`)
      for (const d of devices) {
        const node = await reader.node(d.node)
        console.log(`  watched on        ${String(node?.properties.deviceType ?? '?').padEnd(7)} ${d.node.id}  last seen ${formatTime(Number(d.properties.lastSeen))}`)
      }
      console.log(`  title             ${String(titleNode?.properties.name ?? title.node.id)}: position ${String(title.properties.positionSec)} s, last on ${String(title.properties.deviceType)} at ${formatTime(Number(title.properties.lastWatchTime))}`)
      const own = new Set(logins.map((l) => l.node.id))
      const tablet = playedOn.find((d) => own.has(d.node.id))
      console.log(`  then played       ${String(gameNode?.properties.name ?? gameId)} (based on it) — last played ${formatTime(Number(player.properties.lastPlayed))}, ${String(player.properties.sessionSec)} s session${tablet ? `, on ${tablet.node.id}` : ''}`)
      return
    }
  }
  console.log('\n(no member in this run both watched a title and played its game; try more --events)')
}
