/**
 * The playback job run from Kafka in a child process, as `rdg-job run --brokers` runs it:
 * Kafka source + Avro decoder + dead-letter topic (kafkaJobIo) → engine (RocksDB state,
 * short checkpoints) → embedded RocksDB graph store. Prints `progress <next offset>` as it
 * goes (records read over all partitions) so the parent can SIGKILL it mid-stream; stops
 * by itself (final checkpoint) once it has read `<total>` records, and prints
 * `done <metrics json>`.
 *
 * Usage: kafka-child-job.ts <brokers> <topic> <group> <dataDir> <storeDir> <schemaDir> <total>
 */
import { systemClock } from '../../../base/clock.ts'
import { runJob } from '../../../graph/run-job.ts'
import { kafkaJobIo } from '../../../connectors/kafka/job-io.ts'
import { RocksDbKvStore } from '../../../store/kv/rocksdb-kv.ts'
import { KvGraphSink } from '../../../store/graph-sink.ts'
import playbackJob from '../../../jobs/playback-events.ts'

const [brokers, topic, groupId, dataDir, storeDir, schemaDir, totalArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
]
const total = Number(totalArg)

// A short session: the broker drops a killed predecessor from the group after 6 s (its minimum).
const io = await kafkaJobIo({ job: playbackJob, brokers, topic, groupId, schemaDir, sessionTimeoutMs: 6_000, logLevel: 'nothing' })
const store = await RocksDbKvStore.open(storeDir)
const kv = new KvGraphSink({
  id: 'graph-store',
  store,
  schema: playbackJob.graph,
  onReject: (l) => io.deadLetterSink.write(l, l.eventTime ?? 0),
})
const handle = runJob(playbackJob, {
  ...io,
  graphSinks: [kv],
  dataDir,
  state: { backend: 'rocksdb' },
  checkpoint: { intervalMs: 200 },
  batchSize: 250,
})
let stopping = false
const tick = (): void => {
  // records consumed so far: the sum of next offsets over partitions (the topic starts at 0)
  const next = Object.values(io.source.positions()).reduce((n, o) => n + Number(o), 0)
  process.stdout.write(`progress ${next}\n`)
  if (next >= total && !stopping) {
    stopping = true
    void handle.stop()
  }
  if (!stopping) systemClock.schedule(20, tick)
}
systemClock.schedule(20, tick)
const result = await handle.done
await store.close()
process.stdout.write(`done ${JSON.stringify(result.metrics)}\n`)
process.exit(0)
