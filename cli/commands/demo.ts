/**
 * `rdg-job demo`: the first thing to run. The three jobs on the built-in generator,
 * through the real engine (RocksDB state, checkpoints), into the embedded RocksDB graph
 * store under .rdg/demo; then one member's cross-device journey read back from the graph
 * through the query API.
 */
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CommandModule } from 'yargs'
import { systemClock } from '../../base/clock.ts'
import { GraphQuery } from '../../store/graph-query.ts'
import { mergeGraphSchemas } from '../../graph/schema.ts'
import { builtInJobs } from '../../jobs/registry.ts'
import { demoCounts, formatRunTable } from '../demo-report.ts'
import { PACKAGE_ROOT } from '../job-io.ts'
import { findJourney, formatJourney } from '../journey.ts'
import { runTopic, type TopicSummary } from '../run-topic.ts'
import { openGraphStore } from '../store-flag.ts'

interface DemoArgs {
  dir: string
  events: number
  seed: number
}

/** Games of the catalogue that are based on a title: where a journey can end. */
function gamesBasedOnTitles(): string[] {
  const games = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'data', 'catalog', 'games.json'), 'utf8')) as Array<{
    gameId: string
    titleId: string | null
  }>
  return games.filter((g) => g.titleId).map((g) => g.gameId)
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Run the three jobs on generated events into an embedded graph and show a member journey',
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: '.rdg/demo', describe: 'working directory (recreated)' })
      .option('events', { type: 'number', default: 20_000, describe: 'playback events (login and game events scale with it)' })
      .option('seed', { type: 'number', default: 7 }),
  handler: async (args) => {
    await rm(args.dir, { recursive: true, force: true })
    const graphDir = join(args.dir, 'graph')
    const store = await openGraphStore(`rocksdb:${graphDir}`)
    const summaries: TopicSummary[] = []
    const started = systemClock.now()
    try {
      const counts = demoCounts(args.events)
      for (const job of builtInJobs.values()) {
        process.stderr.write(`running ${job.topic} …\n`)
        summaries.push(
          await runTopic({
            job,
            source: { kind: 'generator', count: counts[job.topic]!, seed: args.seed, accounts: 200 },
            dataDir: join(args.dir, 'jobs'),
            store,
            checkpointIntervalMs: 1_000,
          }),
        )
      }
      console.log('rdg demo: generator → engine (RocksDB state, checkpoints) → embedded RocksDB graph\n')
      for (const line of formatRunTable(summaries, (systemClock.now() - started) / 1000)) console.log(line)
      const query = new GraphQuery(store, mergeGraphSchemas(...[...builtInJobs.values()].map((j) => j.graph)))
      const journey = await findJourney(query, gamesBasedOnTitles())
      if (journey) {
        console.log(`\nOne member's journey, read back from the graph:`)
        for (const line of formatJourney(journey)) console.log(`  ${line}`)
      } else {
        console.log('\n(no member in this run both watched a title and played its game; try more --events)')
      }
      console.log(`\nGraph store: ${graphDir}`)
      if (journey)
        console.log(
          `  try: rdg-job query traverse profile ${journey.profile} --hop started_watching --hop started_watching:in:5 --exclude-visited --store rocksdb:${graphDir}`,
        )
    } finally {
      await store.close()
    }
  },
}
