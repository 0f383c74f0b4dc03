/**
 * Two operators as one, for driving a reference pipeline (e.g. toGraph then the generic
 * keyed dedup) through the single-operator test harness. `first` must be stateless; the
 * second may be keyed and owns the timers.
 */
import type { DeadLetter } from '../../engine/connector.ts'
import type { OperatorRuntime, SideOutputs, StreamOperator } from '../../engine/operator.ts'
import { RecordBatch } from '../../engine/record-batch.ts'
import type { TimeDomain, TimerEntry } from '../../engine/timer-service.ts'

export function chain(
  first: StreamOperator,
  second: StreamOperator & { pendingTimers?(domain: TimeDomain): readonly TimerEntry[] },
): StreamOperator {
  const mid = new RecordBatch()
  const letters: DeadLetter[] = []
  const collectLetters: SideOutputs = {
    emit: () => {
      throw new Error('chain: side outputs of the first operator are not supported')
    },
    deadLetter: (letter) => letters.push(letter),
  }
  return {
    id: second.id,
    kind: second.kind,
    keyed: second.keyed ?? false,
    description: `${first.description} → ${second.description}`,
    async open(runtime: OperatorRuntime) {
      await first.open(runtime)
      await second.open(runtime)
    },
    prepareBatch(input) {
      mid.clear()
      first.processBatch(input, mid, collectLetters)
      return second.prepareBatch?.(mid) ?? null
    },
    processBatch(_input, out, side) {
      for (const letter of letters.splice(0)) side.deadLetter(letter)
      second.processBatch(mid, out, side)
    },
    prepareTime: (wm, now) => second.prepareTime?.(wm, now) ?? null,
    advanceTime: (wm, now, out, side) => second.advanceTime?.(wm, now, out, side),
    hasDueTimers: (wm, now) => second.hasDueTimers?.(wm, now) ?? false,
    ...({ pendingTimers: (domain: TimeDomain) => second.pendingTimers?.(domain) ?? [] } as object),
  }
}
