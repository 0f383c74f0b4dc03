/**
 * Operating a Kafka job against the real broker: consumer lag per partition is the
 * broker's high watermark minus the source's next offset, exactly; and `rdg-job run
 * --http` is ready only once the group has given it a partition (a member standing by in
 * the group reports 503 "waiting for partitions" until another member leaves).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest'
import { createKafkaSource, type KafkaSource } from '../../../connectors/kafka/source.ts'
import { KafkaLagPoller } from '../../../operating/kafka-lag.ts'
import { cli, playbackRunArgs, startCli } from '../../infra/cli-process.ts'
import { createTopic, produce, testSourceContext, uniqueName, waitFor, withAdmin } from '../../infra/kafka-helpers.ts'

const { brokers } = inject('kafka')
const base = mkdtempSync(join(tmpdir(), 'rdg-kafka-operating-'))
const open: KafkaSource[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})
afterAll(() => rmSync(base, { recursive: true, force: true }))

describe('operating a Kafka job (real broker)', () => {
  it('reports consumer lag per partition as the high watermark minus the next offset to hand out', async () => {
    const topic = uniqueName('lag')
    await createTopic(brokers, topic, 2)
    await produce(
      brokers,
      topic,
      Array.from({ length: 100 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
    )
    const source = createKafkaSource({ brokers, topic, groupId: uniqueName('group'), logLevel: 'nothing' })
    open.push(source)
    await source.open(testSourceContext())
    let taken = 0
    await waitFor(
      async () => {
        taken += (await source.poll(30)).records.length
        return taken > 0
      },
      30_000,
      () => 'a first batch',
    )
    const lag = new KafkaLagPoller(() => source.lagView())
    await lag.poll()
    const positions = source.positions()
    const partial = lag.reading()!
    expect(partial.topic).toBe(topic)
    for (const p of [0, 1]) expect(partial.byPartition.get(p), `partition ${p}`).toBe(50 - Number(positions[String(p)] ?? 0))
    expect(partial.total).toBe(100 - taken)
    expect(partial.total).toBeGreaterThan(0)

    await waitFor(
      async () => {
        taken += (await source.poll(500)).records.length
        return taken >= 100
      },
      30_000,
      () => `polled ${taken} of 100`,
    )
    await lag.poll()
    expect([...lag.reading()!.byPartition]).toEqual([
      [0, 0],
      [1, 0],
    ])
    await lag.stop()
  })

  it('is ready once the group assigns it a partition, and its lag metric falls to 0', { timeout: 120_000 }, async () => {
    const topic = uniqueName('ready')
    const group = uniqueName('rdg-ready')
    const schemaDir = join(base, 'schemas')
    const produced = await cli(
      ...['produce', 'playback-events', '--kafka-topic', topic, '--brokers', brokers.join(','), '--schema-dir', schemaDir],
      ...['--count', '300', '--partitions', '1'],
    )
    expect(produced.code, produced.err).toBe(0)

    // A member that holds the only partition: kafkajs' round-robin assigner gives it to the
    // member id that sorts first, and member ids start with the client id ('a-…' < 'rdg-…').
    const holder = createKafkaSource({ brokers, topic, groupId: group, clientId: 'a-holder', sessionTimeoutMs: 6_000, logLevel: 'nothing' })
    open.push(holder)
    await holder.open(testSourceContext())
    await waitFor(
      () => holder.partitions.length === 1,
      30_000,
      () => 'the holder to be assigned partition 0',
    )

    const job = await startCli(
      playbackRunArgs({
        brokers,
        topic,
        schemaDir,
        dataDir: join(base, 'jobs'),
        store: join(base, 'graph'),
        flags: ['--group', group, '--session-timeout', '6000', '--http', '127.0.0.1:0'],
      }),
      /dashboard and metrics on (http:\/\/127\.0\.0\.1:\d+\/)/,
    )
    const url = job.match[1]!
    try {
      // Both members in a stable group, the partition still with the holder: not ready.
      await waitFor(
        async () => {
          const [g] = (await withAdmin(brokers, (admin) => admin.describeGroups([group]))).groups
          return g?.state === 'Stable' && g.members.length === 2
        },
        60_000,
        () => 'a stable group of two members',
      )
      expect(holder.partitions).toEqual([0])
      const waiting = await fetch(`${url}readyz`)
      expect(waiting.status).toBe(503)
      expect(((await waiting.json()) as { checks: { source: { detail: string } } }).checks.source.detail).toBe('waiting for partitions')
      expect(await (await fetch(`${url}metrics`)).text()).not.toMatch(new RegExp(`rdg_kafka_consumer_lag\\{[^}]*topic="${topic}"`))

      // The holder leaves: the partition moves to the job, which becomes ready and catches up.
      await open.splice(open.indexOf(holder), 1)[0]!.close()
      await waitFor(
        async () => (await fetch(`${url}readyz`)).status === 200,
        60_000,
        () => 'readyz 200 after the holder left',
      )
      const lagZero = new RegExp(`rdg_kafka_consumer_lag\\{[^}]*topic="${topic}"[^}]*\\} 0$`, 'm')
      let metrics = ''
      await waitFor(
        async () => {
          metrics = await (await fetch(`${url}metrics`)).text()
          return /rdg_records_in_total\{job="playback-events"\} 300$/m.test(metrics) && lagZero.test(metrics)
        },
        60_000,
        () =>
          `all 300 records in and lag 0; metrics: ${metrics
            .split('\n')
            .filter((l) => /records_in_total|consumer_lag\{/.test(l))
            .join(' | ')}`,
      )
    } finally {
      job.proc.kill('SIGINT')
    }
    expect(await job.exited).toBe(0)
  })
})
