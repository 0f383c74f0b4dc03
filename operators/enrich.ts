/**
 * Enriches each record from side-input tables (files, reloaded when they change):
 * `apply(record, lookup)` where `lookup.<name>(key)` reads the current table.
 *
 * @example
 * const op = enrichOperator(operatorId('enrich'), {
 *   sideInputs: { titles: sideInput<Title>({ path: 'catalog/titles.json', key: 'titleId' }) },
 *   apply: (e, lookup) => ({ titleId: e.titleId, titleName: lookup.titles(e.titleId)?.name ?? null }), // list fields; a spread plus a new key gives each record its own hidden class
 * })
 */
import { isAbsolute, resolve } from 'node:path'
import type { EnrichSpec, SideInputSpec } from './side-input.ts'
import type { OperatorRuntime, SideOutputs, StreamOperator } from '../engine/operator.ts'
import type { RecordBatch } from '../engine/record-batch.ts'
import type { OperatorId } from '../base/ids.ts'
import { userFunctionFailed } from './dead-letters.ts'
import { FileSideInput } from './side-input.ts'

export function enrichOperator<P, R, S extends Record<string, SideInputSpec<any>>>(
  id: OperatorId,
  spec: EnrichSpec<P, R, S>,
): StreamOperator {
  const tables: FileSideInput<unknown>[] = []
  const lookup: Record<string, (key: string) => unknown> = {}
  return {
    id,
    kind: 'enrich',
    description: `enrich from side inputs ${Object.entries(spec.sideInputs)
      .map(([n, s]) => `${n}=${s.path}`)
      .join(', ')}`,
    async open(runtime: OperatorRuntime) {
      for (const [name, input] of Object.entries(spec.sideInputs)) {
        const path = isAbsolute(input.path) ? input.path : resolve(runtime.sideInputDir, input.path)
        const table = new FileSideInput<unknown>(path, input.key, runtime.clock)
        table.load()
        tables.push(table)
        lookup[name] = (key: string) => table.get(key)
      }
    },
    onBatchBoundary() {
      for (const t of tables) t.reloadIfChanged()
    },
    processBatch(input: RecordBatch, out: RecordBatch, side: SideOutputs) {
      const values = input.values
      const l = lookup as never
      for (let i = 0; i < input.length; i++) {
        try {
          out.push(spec.apply(values[i] as P, l), input.timestamps[i]!, input.origins[i])
        } catch (err) {
          side.deadLetter(userFunctionFailed(id, err, values[i], input.timestamps[i]!), input.origins[i])
        }
      }
    },
  }
}
