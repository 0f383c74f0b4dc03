import { describe, expect, it } from 'vitest'
import { WatermarkTracker } from '../../engine/watermarks.ts'
import { MIN_WATERMARK } from '../../base/ids.ts'

const opts = { maxOutOfOrdernessMs: 1_000, idleTimeoutMs: 5_000 }

describe('WatermarkTracker', () => {
  it('starts at the minimum and follows max timestamp minus the bound', () => {
    const wm = new WatermarkTracker(opts)
    expect(wm.current(0)).toBe(MIN_WATERMARK)
    wm.observe(0, 10_000, 0)
    expect(wm.current(0)).toBe(8_999)
    wm.observe(0, 9_000, 0) // out of order: does not move it back
    expect(wm.current(0)).toBe(8_999)
  })

  it('is the minimum over active partitions', () => {
    const wm = new WatermarkTracker(opts)
    wm.observe(0, 10_000, 0)
    wm.observe(1, 20_000, 0)
    expect(wm.current(0)).toBe(8_999)
    wm.observe(0, 30_000, 0)
    expect(wm.current(0)).toBe(18_999)
  })

  it('a tracked partition that has delivered nothing holds the watermark back', () => {
    const wm = new WatermarkTracker(opts)
    wm.track(1, 0)
    wm.observe(0, 10_000, 0)
    expect(wm.current(100)).toBe(MIN_WATERMARK)
  })

  it('releases an idle partition after the timeout and takes it back when it delivers', () => {
    const wm = new WatermarkTracker(opts)
    wm.observe(0, 10_000, 0)
    wm.observe(1, 50_000, 0)
    expect(wm.current(1_000)).toBe(8_999)
    // partition 1 keeps delivering, partition 0 goes quiet
    wm.observe(1, 60_000, 4_000)
    expect(wm.current(4_999)).toBe(8_999)
    expect(wm.isIdle(0, 5_000)).toBe(true)
    expect(wm.current(5_000)).toBe(58_999)
    // partition 0 wakes up behind: the watermark never goes backwards
    wm.observe(0, 20_000, 6_000)
    expect(wm.current(6_000)).toBe(58_999)
  })

  it('holds the last watermark when every partition is idle', () => {
    const wm = new WatermarkTracker(opts)
    wm.observe(0, 10_000, 0)
    expect(wm.current(0)).toBe(8_999)
    expect(wm.current(100_000)).toBe(8_999)
  })

  it('jumps to +infinity at the end of a bounded input', () => {
    const wm = new WatermarkTracker(opts)
    wm.observe(0, 10_000, 0)
    wm.end()
    expect(wm.current(0)).toBe(Number.POSITIVE_INFINITY)
  })

  it('snapshots and restores, forgetting unassigned partitions', () => {
    const wm = new WatermarkTracker(opts)
    wm.observe(0, 10_000, 0)
    wm.observe(1, 12_000, 0)
    expect(wm.current(0)).toBe(8_999)
    const restored = new WatermarkTracker(opts)
    restored.restore(wm.snapshot(), 0)
    expect(restored.current(0)).toBe(8_999)
    restored.retain([1])
    expect(restored.current(0)).toBe(10_999)
  })
})
