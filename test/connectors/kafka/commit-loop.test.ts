import { describe, expect, it } from 'vitest'
import { CommitLoop } from '../../../connectors/kafka/commit-loop.ts'

function deferred() {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

const tick = () => new Promise<void>((r) => setImmediate(r))

describe('commit loop', () => {
  it('keeps one commit in flight and sends only the latest offsets requested meanwhile', async () => {
    const sent: number[] = []
    const inFlight: Array<ReturnType<typeof deferred>> = []
    const loop = new CommitLoop<number>({
      send: (o) => {
        sent.push(o)
        const d = deferred()
        inFlight.push(d)
        return d.promise
      },
      canSend: () => true,
      failed: (err) => {
        throw err
      },
    })
    loop.request(1)
    loop.request(2)
    loop.request(3)
    expect(sent).toEqual([1])
    inFlight[0]!.resolve()
    await tick()
    expect(sent).toEqual([1, 3])
    inFlight[1]!.resolve()
    await loop.settled()
    expect(sent).toEqual([1, 3])
  })

  it('reports a failed commit and carries on with the next request', async () => {
    const failures: unknown[] = []
    const sent: number[] = []
    const loop = new CommitLoop<number>({
      send: async (o) => {
        sent.push(o)
        if (o === 1) throw new Error('coordinator not available')
      },
      canSend: () => true,
      failed: (err) => failures.push(err),
    })
    loop.request(1)
    await loop.settled()
    loop.request(2)
    await loop.settled()
    expect(sent).toEqual([1, 2])
    expect(failures.map((e) => (e as Error).message)).toEqual(['coordinator not available'])
  })

  it('stops sending once it cannot send (the consumer is gone)', async () => {
    let open = true
    const sent: number[] = []
    const first = deferred()
    const loop = new CommitLoop<number>({
      send: (o) => {
        sent.push(o)
        return first.promise
      },
      canSend: () => open,
      failed: () => undefined,
    })
    loop.request(1)
    loop.request(2)
    open = false
    first.resolve()
    await loop.settled()
    expect(sent).toEqual([1])
    loop.request(3)
    await loop.settled()
    expect(sent).toEqual([1])
  })
})
