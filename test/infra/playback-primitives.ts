/**
 * Graph primitives of the playback job's schema for tests that write a graph directly.
 *
 * @example
 * sink.write(watchEdge('p1', 't1', 1_700_000_000_000, 60))
 */
import type { GraphPrimitive } from '../../graph/model.ts'

/** A profile started watching a title at `eventTime` (ms), at `positionSec`, on a TV. */
export const watchEdge = (profile: string, title: string, eventTime: number, positionSec = 60): GraphPrimitive => ({
  kind: 'edge',
  type: 'started_watching',
  src: { type: 'profile', id: profile },
  dst: { type: 'title', id: title },
  properties: { lastWatchTime: eventTime, positionSec, deviceType: 'tv' },
  eventTime,
})
