import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { InMemoryKvStore } from '../../src/kv/memory-kv.ts'
import { RocksDbKvStore } from '../../src/kv/rocksdb-kv.ts'
import { kvContract } from './kv-contract.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

kvContract('in-memory', { time: 'manual', open: async (o) => new InMemoryKvStore(o) })

kvContract('embedded RocksDB', {
  time: 'manual',
  open: async (o) => {
    const dir = mkdtempSync(join(tmpdir(), 'rdg-kv-contract-'))
    dirs.push(dir)
    return RocksDbKvStore.open(dir, o)
  },
})
