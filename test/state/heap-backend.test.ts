import { HeapStateBackend } from '../../src/state/heap-backend.ts'
import { describeBackendContract } from './backend-contract.ts'

describeBackendContract('heap', ({ clock, keyGroups }) => new HeapStateBackend({ clock, ...(keyGroups ? { keyGroups } : {}) }))
