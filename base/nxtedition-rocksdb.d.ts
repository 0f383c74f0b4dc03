// The package ships no types; it implements the abstract-level API (like classic-level).
// Only base/rocksdb.ts imports it.
declare module '@nxtedition/rocksdb' {
  import type { AbstractLevel } from 'abstract-level'
  export class RocksLevel extends AbstractLevel<Buffer | string, any, any> {
    constructor(location: string, options?: object)
  }
}
