// The dead-letter file is exactly once across restarts: a restart cuts it back to what the
// restored checkpoint covers, so the replay's letters are not written twice.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DeadLetter } from '../../engine/connector.ts'
import { DeadLetterFileSink } from '../../connectors/file/dead-letter-file-sink.ts'

const letter = (n: number): DeadLetter => ({
  reason: `cannot decode: bad ${n}`,
  operator: 'source',
  source: { id: 'file', partition: 0, offset: String(n) },
  value: `x${n}`,
  eventTime: null,
})

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-dlq-'))
  const checkpointDir = join(dir, 'checkpoints')
  mkdirSync(checkpointDir)
  const path = join(dir, 'dead-letters.jsonl')
  /** What the engine does at checkpoint `id`: flush the sinks, then complete the checkpoint. */
  const checkpoint = async (sink: DeadLetterFileSink, id: number, complete = true) => {
    await sink.flush()
    mkdirSync(join(checkpointDir, `chk-${id}`))
    if (complete) writeFileSync(join(checkpointDir, `chk-${id}`, '_metadata.json'), '{}')
  }
  const lines = () =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as DeadLetter).value)
  return { path, checkpointDir, checkpoint, lines }
}

describe('DeadLetterFileSink with a checkpoint directory', () => {
  it('a run that never completed a checkpoint leaves nothing behind for the next run to duplicate', async () => {
    const { path, checkpointDir, lines } = setup()
    const first = new DeadLetterFileSink({ path, checkpointDir })
    await first.open()
    for (let n = 0; n < 5; n++) first.write(letter(n))
    await first.close() // the job stopped (exit 2) before its first checkpoint
    expect(lines()).toHaveLength(5)
    for (let run = 0; run < 2; run++) {
      const again = new DeadLetterFileSink({ path, checkpointDir })
      await again.open()
      for (let n = 0; n < 5; n++) again.write(letter(n)) // the replay from the start
      await again.close()
      expect(lines()).toEqual(['x0', 'x1', 'x2', 'x3', 'x4'])
    }
  })

  it('a crash after a checkpoint keeps the letters it covers and drops the later ones, which the replay writes again', async () => {
    const { path, checkpointDir, checkpoint, lines } = setup()
    const sink = new DeadLetterFileSink({ path, checkpointDir })
    await sink.open()
    sink.write(letter(1))
    sink.write(letter(2))
    await checkpoint(sink, 1)
    sink.write(letter(3))
    await checkpoint(sink, 2, false) // crash while checkpoint 2 is being written: its flush happened
    sink.write(letter(4))
    await sink.flush() // and a flush at close, after the crash point
    expect(lines()).toEqual(['x1', 'x2', 'x3', 'x4'])

    // restart: the engine removes the unfinished checkpoint and restores 1
    const restarted = new DeadLetterFileSink({ path, checkpointDir })
    await import('node:fs/promises').then((fs) => fs.rm(join(checkpointDir, 'chk-2'), { recursive: true }))
    await restarted.open()
    expect(lines()).toEqual(['x1', 'x2'])
    restarted.write(letter(3))
    restarted.write(letter(4))
    await checkpoint(restarted, 2)
    await restarted.close()
    expect(lines()).toEqual(['x1', 'x2', 'x3', 'x4'])
  })

  it('--restore-from an older checkpoint cuts back to that checkpoint', async () => {
    const { path, checkpointDir, checkpoint, lines } = setup()
    const sink = new DeadLetterFileSink({ path, checkpointDir })
    await sink.open()
    for (let id = 1; id <= 3; id++) {
      sink.write(letter(id))
      await checkpoint(sink, id)
    }
    await sink.close()
    const older = new DeadLetterFileSink({ path, checkpointDir, restoreFrom: 2 })
    await older.open()
    expect(lines()).toEqual(['x1', 'x2'])
  })

  it('without a checkpoint directory it only appends (as before)', async () => {
    const { path, lines } = setup()
    for (let run = 0; run < 2; run++) {
      const sink = new DeadLetterFileSink({ path })
      await sink.open()
      sink.write(letter(run))
      await sink.close()
    }
    expect(lines()).toEqual(['x0', 'x1'])
  })
})
