/**
 * Writes examples/login-events.jsonl: a few dozen login events from the built-in
 * generator (seeded, so the file is the same every time), one JSON object per line,
 * for `rdg-job run login-events --source file:examples/login-events.jsonl`.
 *
 * @example
 * node --import tsx examples/write-login-events.ts [count]
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { topicEvents } from '../connectors/generator/generator-source.ts'

const root = join(import.meta.dirname, '..')
const count = Number(process.argv[2] ?? 40)
const lines: string[] = []
for (const { value } of topicEvents({
  topic: 'login-events',
  seed: 1,
  accounts: 12,
  encoding: 'json',
  malformedRate: 0,
  catalogDir: join(root, 'data', 'catalog'),
})) {
  lines.push(value as string)
  if (lines.length >= count) break
}
writeFileSync(join(root, 'examples', 'login-events.jsonl'), lines.join('\n') + '\n')
console.log(`wrote ${lines.length} login events to examples/login-events.jsonl`)
