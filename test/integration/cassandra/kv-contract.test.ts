import { kvContract } from '../../kv/kv-contract.ts'
import { cassandraFixture } from './cassandra-fixture.ts'

const cass = cassandraFixture('kv_contract')

kvContract('Cassandra', {
  time: 'real',
  open: (o) => cass.store({ clock: o.clock, ...(o.namespaces ? { namespaces: o.namespaces } : {}) }),
})
