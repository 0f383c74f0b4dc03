/**
 * The Kafka fetch worker: a worker thread that runs the KafkaSource (kafkajs: fetching,
 * record-batch parsing and decompression, group membership, pause/resume, seeks, commits,
 * the rebalance hook) off the job thread. The job thread's ThreadedKafkaSource drives it
 * with the messages of fetch-protocol.ts; each poll answers with one packed batch and the
 * source's positions and assignment after it, so checkpoints on the job thread record
 * exactly what was handed out, as with the in-thread source.
 *
 * Started by threaded-source.ts; not imported by anything else.
 */
import { parentPort } from 'node:worker_threads'
import { systemClock } from '../../base/clock.ts'
import { checkpointId } from '../../base/ids.ts'
import type { SourceContext } from '../../engine/connector.ts'
import { setKafkaLogSink } from './client.ts'
import { packRecords, serializeError, type FromWorker, type SourceState, type ToWorker } from './fetch-protocol.ts'
import { KafkaSecurity } from './security.ts'
import { KafkaSource } from './source.ts'

const port = parentPort
if (!port) throw new Error('fetch-worker.ts runs only as a worker thread (threaded-source.ts starts it)')

let source: KafkaSource | null = null
let nextCheckpoint = 0
const checkpoints = new Map<number, () => void>()

const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer)
const state = (s: KafkaSource): SourceState => ({ positions: s.positions(), assigned: s.partitions.length > 0 ? [...s.partitions] : null })

port.on('message', (m: ToWorker) => {
  void handle(m)
})

async function handle(m: ToWorker): Promise<void> {
  switch (m.t) {
    case 'open': {
      if (m.routedLogLevel !== null) {
        // fields through JSON: kafkajs puts error objects and buffers in them, which need not clone
        setKafkaLogSink({
          level: m.routedLogLevel,
          write: (entry) =>
            post({ t: 'log', entry: { ...entry, fields: JSON.parse(JSON.stringify(entry.fields)) as Record<string, unknown> } }),
        })
      }
      const { security, ...options } = m.options
      const s = new KafkaSource({
        ...options,
        ...(security ? { security: KafkaSecurity.fromParts(security) } : {}),
        warn: (message) => post({ t: 'warn', message }),
        onPositionsChanged: () => post({ t: 'assignment', state: state(s) }),
      })
      source = s
      const ctx: SourceContext = {
        jobName: m.jobName,
        clock: systemClock,
        restoredPositions: m.restored,
        checkpointNow: (reason) =>
          new Promise<void>((resolve) => {
            const id = nextCheckpoint++
            checkpoints.set(id, resolve)
            post({ t: 'checkpointNow', id, reason })
          }),
      }
      try {
        await s.open(ctx)
        post({ t: 'opened', state: state(s) })
      } catch (err) {
        post({ t: 'failed', id: null, error: serializeError(err) })
      }
      return
    }
    case 'poll': {
      try {
        const batch = await source!.poll(m.max)
        const packed = packRecords(batch.records)
        post({ t: 'batch', id: m.id, packed, state: state(source!) }, [packed.values])
      } catch (err) {
        post({ t: 'failed', id: m.id, error: serializeError(err) })
      }
      return
    }
    case 'notify':
      await source?.notifyCheckpointComplete(checkpointId(m.checkpointId), m.positions, m.held)
      return
    case 'committed':
      await source?.committed()
      post({ t: 'done', id: m.id })
      return
    case 'close':
      await source?.close().catch(() => undefined)
      post({ t: 'done', id: m.id })
      return
    case 'checkpointDone':
      checkpoints.get(m.id)?.()
      checkpoints.delete(m.id)
      return
  }
}
