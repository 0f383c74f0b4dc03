/**
 * Small helpers for tests against the real broker: unique names, topics, producing raw
 * values, reading a topic back, a source context that records checkpoint requests, and
 * waiting on a condition with a deadline (never a fixed sleep).
 *
 * @example
 * const topic = uniqueName('events')
 * await createTopic(brokers, topic, 3)
 * await produce(brokers, topic, [{ value: Buffer.from('x'), partition: 0 }])
 */
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { systemClock } from '../../base/clock.ts'
import { createTopics } from '../../connectors/kafka/client.ts'
import type { SourceContext, SourcePositions } from '../../engine/connector.ts'

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'rdg-test', brokers, logLevel: logLevel.NOTHING })
}

export async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(brokers).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

export async function createTopic(brokers: string[], topic: string, partitions = 1): Promise<void> {
  await withAdmin(brokers, (admin) => createTopics(admin, [topic], { partitions }))
}

export interface RawMessage {
  readonly value: Buffer | string | null
  readonly key?: string
  readonly partition?: number
  readonly timestamp?: number
}

/**
 * Produces in chunks (under the broker's 1 MB request batch limit) with acks from all
 * replicas, idempotently: on a loaded machine a send can time out after the broker wrote
 * it, and a plain retry then writes the chunk twice (seen in CI: a partition holding 100
 * records where the test wrote 50).
 */
export async function produce(brokers: string[], topic: string, messages: readonly RawMessage[]): Promise<void> {
  const producer = kafkaClient(brokers).producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    const bytes = messages.reduce((n, m) => n + (m.value?.length ?? 0), 0) / Math.max(1, messages.length)
    const chunk = Math.max(1, Math.min(5_000, Math.floor(500_000 / Math.max(1, bytes))))
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.slice(i, i + chunk).map((m) => ({
          value: m.value,
          ...(m.key !== undefined ? { key: m.key } : {}),
          ...(m.partition !== undefined ? { partition: m.partition } : {}),
          ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
        })),
      })
    }
  } finally {
    await producer.disconnect()
  }
}

export interface ReadMessage {
  readonly partition: number
  readonly offset: string
  readonly key: string | null
  readonly value: Buffer
}

/** Reads a topic from the beginning until `count` messages arrived (or fails after `timeoutMs`). */
export async function readTopic(brokers: string[], topic: string, count: number, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const consumer = kafkaClient(brokers).consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 })
  const out: ReadMessage[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) =>
        void out.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0) }),
    })
    await waitFor(
      () => out.length >= count,
      timeoutMs,
      () => `read ${out.length} of ${count} messages from ${topic}`,
    )
  } finally {
    await consumer.disconnect()
  }
  return out
}

/** The group's committed offset per partition (absent when none). */
export async function committedOffsets(brokers: string[], groupId: string, topic: string): Promise<Record<string, string>> {
  return withAdmin(brokers, async (admin) => {
    const out: Record<string, string> = {}
    for (const t of await admin.fetchOffsets({ groupId, topics: [topic] }))
      for (const p of t.partitions) if (Number(p.offset) >= 0) out[String(p.partition)] = p.offset
    return out
  })
}

/** Polls `condition` every 50 ms until it holds; throws with `describe()` after the deadline. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string = () => 'condition',
): Promise<void> {
  const deadline = systemClock.now() + timeoutMs
  while (!(await condition())) {
    if (systemClock.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${describe()}`)
    await systemClock.sleep(50)
  }
}

/** A source context whose `checkpointNow` records the request and runs `onCheckpoint`. */
export function testSourceContext(
  restoredPositions: SourcePositions | null = null,
  onCheckpoint: (reason: string) => Promise<void> | void = () => undefined,
): SourceContext & { readonly checkpointRequests: string[] } {
  const checkpointRequests: string[] = []
  return {
    jobName: 'test-job',
    clock: systemClock,
    restoredPositions,
    checkpointRequests,
    async checkpointNow(reason) {
      checkpointRequests.push(reason)
      await onCheckpoint(reason)
    },
  }
}
