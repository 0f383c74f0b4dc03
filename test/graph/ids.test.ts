// The one id rule (graph/ids.ts): what toGraph refuses where a primitive is made is exactly
// what the stores refuse, so a bad id is a dead letter and never a store error.
import { describe, expect, it } from 'vitest'
import { StagedPrimitives } from '../../graph/dedup/staging.ts'
import { idProblem, MAX_ID_BYTES, topicNameProblem } from '../../graph/ids.ts'
import { checkId } from '../../graph/to-graph-operator.ts'
import { validatePrimitive } from '../../graph/validate.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'
import { checkName } from '../../store/kv/namespaces.ts'

const bad: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ['NUL', 'prof\u0000x', /control character U\+0000/],
  ['a newline', 'a\nb', /control character U\+000A/],
  ['DEL', 'a\u007f', /control character U\+007F/],
  ['a C1 control', 'a\u0085', /control character U\+0085/],
  ['a lone high surrogate', 'a\ud800b', /lone UTF-16 surrogate/],
  ['a lone low surrogate', '\udc00', /lone UTF-16 surrogate/],
  ['an emoji then a control', '🎉\u0001', /control character U\+0001/],
  ['empty', '', /must not be empty/],
  ['too long', 'x'.repeat(MAX_ID_BYTES + 1), /more than 4096/],
  ['too long in UTF-8', 'é'.repeat(MAX_ID_BYTES / 2 + 1), /more than 4096/],
  ['a number', 42, /must be a string/],
  ['undefined', undefined, /must be a string/],
]
const good = ['acct-00001', 'a/b\\c', '../../etc', '🎉 party', 'Ünïcödé', 'x'.repeat(MAX_ID_BYTES), 'a b\u00a0c']
// readable test names for long ids
const named = good.map((id) => [id.length > 40 ? `${id.slice(0, 8)}… (${id.length} chars)` : id, id] as const)

describe('idProblem', () => {
  it.each(bad)('refuses an id with %s', (_, id, why) => expect(idProblem(id)).toMatch(why))
  it.each(named)('accepts %s', (_, id) => expect(idProblem(id)).toBeNull())
})

describe('one rule in toGraph and in the store', () => {
  it.each(bad.filter(([, id]) => typeof id === 'string' && id !== ''))('toGraph and the store both refuse an id with %s', async (_, id) => {
    expect(() => checkId('node', 'profile', id)).toThrow(/node profile id/)
    expect(() => checkName('record id', id as string)).toThrow()
    const store = new InMemoryKvStore()
    await expect(
      store.putItems([{ namespace: 'node.profile', recordId: id as string, item: { key: 'props', value: {}, eventTime: 1 } }]),
    ).rejects.toThrow()
  })
  it.each(named)('toGraph and the store both accept %s', async (_, id) => {
    expect(() => checkId('node', 'profile', id)).not.toThrow()
    expect(() => checkName('record id', id)).not.toThrow()
    const store = new InMemoryKvStore()
    await store.putItems([{ namespace: 'node.profile', recordId: id, item: { key: 'props', value: {}, eventTime: 1 } }])
  })
  it('the staging builder refuses a bad node id or edge endpoint before staging anything of it', () => {
    const staged = new StagedPrimitives()
    const g = staged.builder()
    staged.start(1)
    g.node('profile', 'p1', {})
    expect(() => g.node('profile', 'prof\u0000x', {})).toThrow(/^node profile id "prof\\u0000x" contains the control character U\+0000$/)
    expect(() => g.edge('watched', { type: 'profile', id: 'p1' }, { type: 'title', id: 't\u0000' }, {})).toThrow(
      /^edge watched destination id/,
    )
    expect(() => g.edge('watched', { type: 'profile', id: '' }, { type: 'title', id: 't1' }, {})).toThrow(
      /^edge watched source id must be a non-empty string, got ""$/,
    )
    expect(staged.count).toBe(1)
  })
  it("the graph sinks' validation refuses bad ids and oversized properties (primitives not made by toGraph)", () => {
    const schema = { nodes: { profile: { properties: { name: 'string?' as const } } }, edges: {} }
    expect(validatePrimitive(schema, { kind: 'node', type: 'profile', id: 'p\u0000', properties: {}, eventTime: 1 })).toMatch(
      /^node profile id .* U\+0000$/,
    )
    expect(
      validatePrimitive(schema, { kind: 'node', type: 'profile', id: 'p', properties: { name: 'x'.repeat(2 << 20) }, eventTime: 1 }),
    ).toMatch(/properties are \d+ bytes as JSON, more than 1048576/)
    expect(validatePrimitive(schema, { kind: 'node', type: 'profile', id: 'p', properties: { name: 'ok' }, eventTime: 1 })).toBeNull()
    expect(validatePrimitive(schema, { kind: 'node', type: 'profile', id: '', properties: {}, eventTime: 1 }, { ids: false })).toBeNull()
  })
})

describe('topicNameProblem (Kafka topic rule: names that become paths)', () => {
  it.each(['../../escaped', 'a/b', 'a\\b', '.', '..', '', 'a b', 'x'.repeat(250), 'tópico', 'a\u0000'])('refuses %j', (t) =>
    expect(topicNameProblem(t)).not.toBeNull(),
  )
  it.each(['playback-events', 'a.b_c-1', 'x'.repeat(249), '...x'])('accepts %j', (t) => expect(topicNameProblem(t)).toBeNull())
})
