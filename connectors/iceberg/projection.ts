/**
 * Schema projection: the job's event fields → the table's columns by name (exact, an
 * explicit mapping such as `accountId=account_id`, or the snake_case form), then → field
 * ids, so a data file written before a rename, drop, add or type promotion is read by id:
 * a column a file lacks reads as its `initial-default` or null. Values convert as a job
 * expects: timestamps (µs) to epoch-ms numbers, int/long to numbers (a long past 2^53
 * stays a BigInt), dates to epoch days.
 *
 * @example
 * const p = projectFields(schema, ['accountId', 'ts'], { accountId: 'account_id' })
 * p.columns[0] // { jobField: 'accountId', field: { id: 2, name: 'account_id', type: 'string', … } }
 */
import { ConfigError } from '../../base/errors.ts'
import type { IcebergField, IcebergSchema } from './metadata.ts'

export interface ProjectedColumn {
  readonly jobField: string
  readonly field: IcebergField
  readonly convert: (v: unknown) => unknown
}

export interface Projection {
  readonly columns: readonly ProjectedColumn[]
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()

export function converterFor(type: string): (v: unknown) => unknown {
  // the Parquet reader hands every timestamp over as µs (ms and ns columns converted); a
  // default from the schema is its JSON form, an ISO string
  if (type.startsWith('timestamp')) {
    return (v) =>
      v === null || v === undefined
        ? null
        : typeof v === 'string'
          ? Math.floor(Date.parse(v.endsWith('Z') || /[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`))
          : Math.floor(Number(v) / 1000)
  }
  if (type === 'long' || type === 'int') {
    return (v) => {
      if (typeof v !== 'bigint') return v ?? null
      const n = Number(v)
      return Number.isSafeInteger(n) ? n : v
    }
  }
  if (type === 'date') return (v) => (v instanceof Date ? Math.round(v.getTime() / 86_400_000) : (v ?? null))
  return (v) => v ?? null
}

/** Resolves each job field to a column of `schema`; one ConfigError naming every missing one. */
export function projectFields(
  schema: IcebergSchema,
  jobFields: readonly string[],
  mapping: Readonly<Record<string, string>> = {},
): Projection {
  const byName = new Map(schema.fields.map((f) => [f.name, f]))
  const byLower = new Map(schema.fields.map((f) => [f.name.toLowerCase(), f]))
  const missing: string[] = []
  const columns: ProjectedColumn[] = []
  for (const jobField of jobFields) {
    const mapped = mapping[jobField]
    const field =
      mapped !== undefined
        ? byName.get(mapped)
        : (byName.get(jobField) ?? byName.get(snake(jobField)) ?? byLower.get(jobField.toLowerCase()))
    if (!field) {
      missing.push(mapped !== undefined ? `${jobField} (mapped to ${mapped})` : jobField)
      continue
    }
    columns.push({ jobField, field, convert: converterFor(field.type) })
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `the Iceberg table lacks the job's field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      `its columns are ${schema.fields.map((f) => f.name).join(', ')}; map a field with --column <jobField>=<column>`,
    )
  }
  return { columns }
}

/** `accountId=account_id,titleId=title_id` (or repeated flags) → a mapping. */
export function parseColumnMapping(flags: readonly string[] | string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  const list: readonly string[] = flags === undefined ? [] : typeof flags === 'string' ? [flags] : flags
  for (const part of list.flatMap((f) => f.split(','))) {
    const m = /^\s*([^=\s]+)\s*=\s*([^=\s]+)\s*$/.exec(part)
    if (!m) throw new ConfigError(`--column ${part} is not <jobField>=<column>`, 'e.g. --column accountId=account_id')
    out[m[1]!] = m[2]!
  }
  return out
}
