/**
 * LevelDB (classic-level) behind the same database adapter as RocksDB: the comparison
 * engine of the state backend tests and bench/state-backends.ts. Production code never
 * opens LevelDB; it is passed in as the backend's `engine`.
 *
 * @example
 * const backend = new RocksDbStateBackend({ clock, path: dir, engine: levelDb })
 */
import { ClassicLevel } from 'classic-level'
import { Database } from '../../base/rocksdb.ts'

/** A LevelDB database in `path`, created and opened by `open()`. */
export function levelDb(path: string): Database {
  return new Database(path, (location, options) => new ClassicLevel<Buffer, Buffer>(location, options))
}
