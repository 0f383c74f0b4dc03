import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtInJobs } from '../../jobs/registry.ts'
import { runGolden, type GoldenResult } from './golden-run.ts'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'jobs')

for (const job of builtInJobs.values()) {
  describe(`golden: ${job.topic}`, () => {
    const input = join(fixtures, `${job.topic}.jsonl`)
    const expected = JSON.parse(readFileSync(join(fixtures, `${job.topic}.expected.json`), 'utf8')) as GoldenResult

    it('straight through, the graph equals the golden file', async () => {
      const result = await runGolden(job, input)
      expect(result.store).toEqual(expected.store)
      expect(result.deadLetters).toEqual(expected.deadLetters)
      expect(Object.keys(result.store).length).toBeGreaterThan(5)
      expect(result.indexGaps).toEqual([])
    })

    for (const crashAfter of [40, 95]) {
      it(`crashing after ${crashAfter} records and restoring from the checkpoint gives the same graph`, async () => {
        const result = await runGolden(job, input, crashAfter)
        expect(result.restoredFrom).not.toBeNull()
        expect(result.store).toEqual(expected.store)
        expect(result.deadLetters).toEqual(expected.deadLetters)
        expect(result.indexGaps).toEqual([])
      })
    }
  })
}
