import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../base/clock.ts'
import type { DeadLetter } from '../../engine/connector.ts'
import { describeGraph } from '../../engine/job-graph.ts'
import { StreamEnvironment } from '../../operators/datastream.ts'
import { outputTag } from '../../engine/elements.ts'
import { processFunction, type Collector } from '../../engine/process-function.ts'
import { runGraph } from '../../engine/run-graph.ts'
import { CollectingSink } from '../../testing/collecting-sink.ts'
import { TestSource } from '../../testing/test-source.ts'
import { codecs } from '../../state/codecs.ts'
import { valueState } from '../../state/descriptors.ts'
import { describeJob } from '../../graph/compile-job.ts'
import { defineJob, json, readFieldsOf } from '../../graph/job-definition.ts'
import { runJob } from '../../graph/run-job.ts'
import type { Decoder } from '../../engine/connector.ts'
import type { GraphPrimitive } from '../../graph/model.ts'

const tooLong = outputTag<string>('too-long')

const wordCount = processFunction({
  state: { n: valueState('n', codecs.json<number>()) },
  processElement(word: string, ctx, out: Collector<[string, number]>) {
    if (word.length > 8) {
      ctx.output(tooLong, word)
      return
    }
    const n = (ctx.state.n.value() ?? 0) + 1
    ctx.state.n.update(n)
    out.collect([word, n])
  },
})

describe('DataStream API', () => {
  it('builds and runs map / flatMap / keyBy+process / side outputs / several sinks', async () => {
    const env = new StreamEnvironment('words')
    const counts = new CollectingSink<[string, number]>('counts')
    const copies = new CollectingSink<[string, number]>('copies')
    const long = new CollectingSink<string>('long-words')
    const dlq = new CollectingSink<DeadLetter>('dlq')
    const counted = env
      .fromSource(new TestSource('lines', ['a b a', 'b extraordinary a']), {
        id: 'lines',
        decode: (raw) => String(raw),
        eventTime: () => 1,
      })
      .flatMap((line: string, out: Collector<string>) => line.split(' ').forEach((w) => out.collect(w)), 'split')
      .map((w) => w.toLowerCase(), 'lower')
      .keyBy((w) => w)
      .process(wordCount, 'count')
    counted.sinkTo(counts, 'counts')
    counted.sinkTo(copies, 'copies')
    counted.sideOutput(tooLong).sinkTo(long, 'long')
    const graph = env.build()
    expect(describeGraph(graph).map((d) => `${'  '.repeat(d.depth)}${d.id}:${d.kind}${d.sideOutput ? `[${d.sideOutput}]` : ''}`)).toEqual([
      'lines:source',
      '  split:flatMap',
      '    lower:map',
      '      count:keyBy → process',
      '        counts:sink',
      '        copies:sink',
      '        long:sink[too-long]',
    ])
    const result = await runGraph(graph, {
      dataDir: mkdtempSync(join(tmpdir(), 'rdg-ds-')),
      deadLetterSink: dlq,
      state: { backend: 'heap' },
      clock: new ManualClock(),
    }).done
    expect(result.reason).toBe('end-of-input')
    expect(counts.values()).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 2],
      ['b', 2],
      ['a', 3],
    ])
    expect(copies.values()).toEqual(counts.values())
    expect(long.values()).toEqual(['extraordinary'])
    expect(dlq.values()).toEqual([])
  })

  it('rejects duplicate or malformed operator ids', () => {
    const env = new StreamEnvironment('x')
    const s = env.fromSource(new TestSource('in', []), { id: 'in', decode: (r) => r, eventTime: () => 0 })
    s.map((v) => v, 'step')
    expect(() => s.map((v) => v, 'step')).toThrow(/operator id "step" is used twice/)
    expect(() => s.map((v) => v, 'bad id')).toThrow(/must be letters/)
  })

  it('describes a declarative job as its compiled operators with stable ids', () => {
    const job = defineJob({
      topic: 'logins',
      value: json<{ a: string; ts: number }>(),
      eventTime: 'ts',
      filter: (e) => e.a !== '',
      graph: { nodes: { account: { properties: {} } }, edges: {} },
      toGraph: (e, g) => g.node('account', e.a, {}),
    })
    expect(describeJob(job).map((d) => d.id)).toEqual(['source', 'filter', 'to-graph', 'dedup', 'graph-sink'])
  })

  it('runs a field-list projection as a pick, or passes records through when the decoder already projected', async () => {
    type Ev = { a: string; noise: string; ts: number }
    const job = defineJob({
      topic: 'picks',
      value: json<Ev>(),
      eventTime: 'ts',
      project: ['a'],
      graph: { nodes: { account: { properties: { keys: 'string' } } }, edges: {} },
      toGraph: (e, g) => g.node('account', e.a, { keys: Object.keys(e).sort().join(',') }),
    })
    expect(readFieldsOf(job)).toEqual(['a', 'ts'])
    const run = async (decode: Decoder<Ev>): Promise<unknown[]> => {
      const sink = new CollectingSink<GraphPrimitive>('graph')
      const source = new TestSource('in', [{ a: 'x', noise: 'n', ts: 5 }])
      await runJob(job, {
        source,
        decode,
        graphSinks: [sink],
        deadLetterSink: new CollectingSink<DeadLetter>('dlq'),
        dataDir: mkdtempSync(join(tmpdir(), 'rdg-pick-')),
        state: { backend: 'heap' },
        clock: new ManualClock(0),
      }).done
      return sink.values().map((p) => p.properties)
    }
    // a decoder that yields whole events: the project step picks the fields
    expect(await run((raw) => raw as Ev)).toEqual([{ keys: 'a' }])
    // one that projected (here: pretends to) is trusted and not copied again
    const projecting = Object.assign((raw: unknown) => raw as Ev, { fields: ['ts', 'a'] })
    expect(await run(projecting)).toEqual([{ keys: 'a,noise,ts' }])
    expect(describeJob(job, { decode: projecting }).find((d) => d.id === 'project')?.description).toMatch(/pushed into the decoder/)
  })
})
