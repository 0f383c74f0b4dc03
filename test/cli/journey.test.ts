// The demo's pieces end to end, without a subprocess: the three jobs on the generator
// (as buildJobIo sets them up) into one KV store through the KV graph sink, then one
// member's cross-device journey read back through GraphQuery.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { demoCounts } from '../../cli/demo-report.ts'
import { buildJobIo, PACKAGE_ROOT, sideInputDirFor } from '../../cli/job-io.ts'
import { findJourney, formatJourney } from '../../cli/journey.ts'
import { openGraphStore } from '../../cli/store-flag.ts'
import { runJob } from '../../graph/run-job.ts'
import { GraphQuery } from '../../store/graph-query.ts'
import { mergeGraphSchemas } from '../../graph/schema.ts'
import { builtInJobs } from '../../jobs/registry.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'

const gamesWithTitles = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'data', 'catalog', 'games.json'), 'utf8')) as Array<{ gameId: string; titleId: string | null }>
)
  .filter((g) => g.titleId)
  .map((g) => g.gameId)

describe('a member journey read back from the graph', () => {
  it('watched on the phone and the TV, then played the related game on the tablet', async () => {
    const store = await openGraphStore('memory')
    const dataDir = mkdtempSync(join(tmpdir(), 'rdg-journey-'))
    const counts = demoCounts(3_000)
    for (const job of builtInJobs.values()) {
      const dir = join(dataDir, job.topic)
      const io = await buildJobIo(job, { kind: 'generator', count: counts[job.topic]!, seed: 7, accounts: 30 }, dir)
      const sink = new KvGraphSink({ id: 'graph', store, schema: job.graph, onReject: (l) => io.deadLetterSink.write(l, 0) })
      const result = await runJob(job, {
        ...io,
        graphSinks: [sink],
        dataDir: dir,
        sideInputDir: sideInputDirFor(job),
        state: { backend: 'heap' },
      }).done
      expect(result.reason).toBe('end-of-input')
      expect(sink.rejected).toBe(0)
    }
    const query = new GraphQuery(store, mergeGraphSchemas(...[...builtInJobs.values()].map((j) => j.graph)))
    const journey = await findJourney(query, gamesWithTitles)
    expect(journey).not.toBeNull()
    const j = journey!
    expect(j.profile.startsWith(`${j.account}-p`)).toBe(true)
    expect(j.streamedFrom.map((s) => s.deviceType)).toContain('phone')
    expect(j.logins.map((l) => l.deviceType).sort()).toEqual(expect.arrayContaining(['phone', 'tablet']))
    expect(j.title.name).toEqual(expect.any(String))
    expect(j.title.positionSec).toBeGreaterThan(0)
    expect(j.game.name).toEqual(expect.any(String))
    expect(j.game.deviceType).toBe('tablet')
    expect(j.game.sessionSec).toBeGreaterThan(0)
    const text = formatJourney(j)
    expect(text[0]).toBe(`account ${j.account}, profile ${j.profile}`)
    expect(text.at(-1)).toMatch(
      new RegExp(`then played +${j.game.name!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(based on it\\) on the tablet dev-`),
    )
    await store.close()
  })

  it('finds nothing in an empty graph', async () => {
    const store = await openGraphStore('memory')
    const query = new GraphQuery(store, mergeGraphSchemas(...[...builtInJobs.values()].map((j) => j.graph)))
    expect(await findJourney(query, gamesWithTitles)).toBeNull()
  })
})
