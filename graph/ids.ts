/**
 * The one rule for ids and names the graph store keeps: node ids, edge endpoints, record
 * ids and namespaces. Every backend accepts exactly these: a non-empty string of at most
 * MAX_ID_BYTES UTF-8 bytes, well-formed (no lone UTF-16 surrogate, which UTF-8 cannot
 * carry: RocksDB and Cassandra would store U+FFFD instead, another id), and without
 * control characters (NUL separates the parts of a RocksDB key; the others make ids that
 * print as something else). toGraph applies it where a primitive is made, so a record
 * with a bad id becomes a dead letter, and the store applies it again at its door.
 *
 * Also the rule for names that become paths (topics, job ids): Kafka's topic rule.
 *
 * @example
 * idProblem('prof\u0000x') // 'contains the control character U+0000'
 * idProblem('acct-1')      // null
 * topicNameProblem('../../escaped') // 'may only contain ASCII letters, digits, ".", "_" and "-"'
 */

/** The longest id in UTF-8 bytes (Cassandra's partition and clustering keys allow 64 KiB; ids are far shorter). */
export const MAX_ID_BYTES = 4_096

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const LONE_SURROGATE_G = new RegExp(LONE_SURROGATE.source, 'g')
// C0 controls, DEL, C1 controls, and surrogates (checked further when found)
/** Characters that may make an id bad (a match still needs idProblem: an emoji's surrogate pair is fine). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
export const ID_SUSPECT = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/

/** The largest properties of one primitive, as JSON (one KV item; Cassandra refuses mutations over 16 MiB by default). */
export const MAX_PROPERTIES_BYTES = 1_048_576

/** Why `id` cannot be an id or name in the graph store, or null when it can. */
export function idProblem(id: unknown): string | null {
  if (typeof id !== 'string') return `must be a string, got ${id === null ? 'null' : typeof id}`
  if (id.length === 0) return 'must not be empty'
  if (id.length * 3 > MAX_ID_BYTES && Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES)
    return `is ${Buffer.byteLength(id, 'utf8')} UTF-8 bytes long, more than ${MAX_ID_BYTES}`
  const m = ID_SUSPECT.exec(id)
  if (m === null) return null
  const c = m[0].charCodeAt(0)
  if (c < 0xd800) return `contains the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`
  if (LONE_SURROGATE.test(id)) return 'contains a lone UTF-16 surrogate (not valid Unicode)'
  // a valid surrogate pair (an emoji): look for a control character after it
  const rest = id.replace(/[\ud800-\udfff]/g, '')
  const c2 = ID_SUSPECT.exec(rest)
  return c2 === null ? null : `contains the control character U+${c2[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
}

/** A short, printable preview of a bad id for messages (control characters escaped, long ids cut). */
export function previewId(id: unknown): string {
  if (typeof id !== 'string') return String(id)
  const cut = id.length > 80 ? `${id.slice(0, 80)}…` : id
  return JSON.stringify(cut.replace(LONE_SURROGATE_G, '\ufffd'))
}

/** The longest topic name Kafka allows. */
export const MAX_TOPIC_LENGTH = 249

/**
 * Why `name` cannot be a topic (or another name that becomes a directory under
 * `--data-dir`), or null: Kafka's rule, 1–249 characters of ASCII letters, digits, `.`,
 * `_` and `-`, and not `.` or `..`.
 */
export function topicNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string'
  if (name.length > MAX_TOPIC_LENGTH) return `is ${name.length} characters long, more than Kafka's ${MAX_TOPIC_LENGTH}`
  if (name === '.' || name === '..') return 'cannot be "." or ".."'
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return 'may only contain ASCII letters, digits, ".", "_" and "-" (Kafka\'s topic rule)'
  return null
}
