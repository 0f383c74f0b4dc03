import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { OperatorTestHarness } from '../../testing/harness.ts'
import { enrichOperator } from '../../operators/enrich.ts'
import { sideInput } from '../../operators/side-input.ts'
import { operatorId } from '../../base/ids.ts'

interface Title {
  titleId: string
  name: string
}

describe('enrich operator', () => {
  it('joins records with a side-input file and reloads it when the file changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-enrich-'))
    const file = join(dir, 'titles.json')
    writeFileSync(file, JSON.stringify([{ titleId: 't1', name: 'Stranger Things' }]))
    const op = enrichOperator(operatorId('enrich'), {
      sideInputs: { titles: sideInput<Title>({ path: 'titles.json', key: 'titleId' }) },
      apply: (e: { titleId: string }, lookup) => ({ ...e, name: lookup.titles(e.titleId)?.name ?? null }),
    })
    const h = await OperatorTestHarness.forOperator(op, { sideInputDir: dir, processingTime: 0 })
    await h.processElements([
      [{ titleId: 't1' }, 1],
      [{ titleId: 't2' }, 2],
    ])
    expect(h.records()).toEqual([
      { titleId: 't1', name: 'Stranger Things' },
      { titleId: 't2', name: null },
    ])

    writeFileSync(file, '{"titleId":"t1","name":"Stranger Things"}\n{"titleId":"t2","name":"Wednesday"}\n')
    utimesSync(file, new Date(), new Date(Date.UTC(2030, 0, 1)))
    h.clock.advance(5_000) // the reload check is rate-limited by the injected clock
    op.onBatchBoundary!()
    h.clearOutput()
    await h.processElement({ titleId: 't2' }, 3)
    expect(h.records()).toEqual([{ titleId: 't2', name: 'Wednesday' }])
    await h.close()
  })

  it('sends a record whose enrichment throws to the dead letters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-enrich-'))
    writeFileSync(join(dir, 't.json'), '[]')
    const op = enrichOperator(operatorId('enrich'), {
      sideInputs: { t: sideInput<Title>({ path: 't.json', key: 'titleId' }) },
      apply: (e: { titleId: string }, lookup) => {
        const t = lookup.t(e.titleId)
        if (!t) throw new Error(`unknown title ${e.titleId}`)
        return t
      },
    })
    const h = await OperatorTestHarness.forOperator(op, { sideInputDir: dir })
    await h.processElement({ titleId: 'zz' }, 1)
    expect(h.records()).toEqual([])
    expect(h.deadLetters().map((d) => d.reason)).toEqual(['enrich failed: unknown title zz'])
    await h.close()
  })

  it('fails to open with one clear line when the side input is missing', async () => {
    const op = enrichOperator(operatorId('enrich'), {
      sideInputs: { t: sideInput<Title>({ path: 'nope.json', key: 'titleId' }) },
      apply: (e: unknown) => e,
    })
    await expect(OperatorTestHarness.forOperator(op, { sideInputDir: tmpdir() })).rejects.toThrow(
      /side input .*nope.json does not exist; create it or fix the path/,
    )
  })
})
