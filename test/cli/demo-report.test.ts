import { describe, expect, it } from 'vitest'
import { demoCounts, formatRunTable } from '../../cli/demo-report.ts'
import type { GraphJobMetrics } from '../../graph/run-job.ts'

const metrics = (recordsIn: number, before: number, after: number, deadLetters: number): GraphJobMetrics => ({
  recordsIn,
  deadLetters,
  lateRecords: 0,
  filtered: 1,
  primitivesBeforeDedup: before,
  primitivesAfterDedup: after,
  checkpoints: 2,
  lastCheckpointId: 2,
  restoredFrom: null,
  watermark: 0,
  operators: {},
  counters: {},
  deadLettersByReason: {},
})

describe('demo report', () => {
  it('prints per topic and in total: events, dedup ratio, dead letters, throughput', () => {
    const lines = formatRunTable(
      [
        { topic: 'playback-events', metrics: metrics(20_000, 140_000, 7_000, 90), seconds: 2 },
        { topic: 'login-events', metrics: metrics(4_000, 20_000, 8_000, 10), seconds: 1 },
      ],
      4,
    )
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(/^playback-events\s+20,000\s+1\s+140,000\s+→ 7,000\s+20\.0x\s+90\s+2\s+10,000$/)
    expect(lines[3]).toMatch(/^all\s+24,000\s+2\s+160,000\s+→ 15,000\s+10\.7x\s+100\s+6,000$/)
  })

  it('scales login and game events with the playback count', () => {
    expect(demoCounts(20_000)).toEqual({ 'playback-events': 20_000, 'login-events': 4_000, 'game-events': 8_000 })
  })
})
