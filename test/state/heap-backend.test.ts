import { HeapStateBackend } from '../../state/heap-backend.ts'
import { describeBackendContract } from './backend-contract.ts'

describeBackendContract('heap', ({ clock, keyGroups }) => new HeapStateBackend({ clock, ...(keyGroups ? { keyGroups } : {}) }))
