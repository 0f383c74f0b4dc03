/**
 * Run in a child process by the RocksDB backend test: writes two checkpoints' worth of
 * state, prints each snapshot handle as `handle <json>`, and SIGKILLs itself at the point
 * named by `mode`, leaving the live database without a close:
 * - `before-complete`: checkpoint 2 is snapshotted but never applied to the live database;
 * - `after-complete`: checkpoint 2 is applied, then epoch 3 writes and snapshots without completing.
 * Usage: crash-child.ts <dbPath> <checkpointRoot> <mode>
 */
import { ManualClock } from '../../base/clock.ts'
import { checkpointId, operatorId } from '../../base/ids.ts'
import { codecs } from '../../state/codecs.ts'
import { valueState } from '../../state/descriptors.ts'
import { RocksDbStateBackend } from '../../state/rocksdb-backend.ts'

const [path, root, mode] = [process.argv[2]!, process.argv[3]!, process.argv[4]!]
const backend = new RocksDbStateBackend({ clock: new ManualClock(0), path })
const count = backend.table(operatorId('op'), valueState('count', codecs.number()))
const keys = ['x', 'y', 'z']
const load = async () => {
  const p = backend.prefetch(keys)
  if (p) await p
}

await backend.clear()
await load()
count.put('x', 1)
console.log(`handle ${JSON.stringify(await backend.snapshot(checkpointId(1), root))}`)
await backend.notifyCheckpointComplete(checkpointId(1))

await load()
count.put('x', 2)
count.put('y', 2)
console.log(`handle ${JSON.stringify(await backend.snapshot(checkpointId(2), root))}`)
if (mode === 'after-complete') {
  await backend.notifyCheckpointComplete(checkpointId(2))
  await load()
  count.put('x', 3)
  count.delete('y')
  count.put('z', 3)
  console.log(`handle ${JSON.stringify(await backend.snapshot(checkpointId(3), root))}`)
}
process.kill(process.pid, 'SIGKILL')
