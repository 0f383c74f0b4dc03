/**
 * The job dashboard in a real headless Chromium (Debian's package, driven by
 * puppeteer-core): while a generator job runs, the page draws the operator graph with
 * the operator ids, its numbers change between two reads, the graph explorer draws a
 * node's neighbourhood from the store, and a screenshot is non-blank (size, colours).
 * Waits are on page state, never fixed sleeps.
 */
/// <reference lib="dom" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildJobIo, sideInputDirFor } from '../../cli/job-io.ts'
import { runJob, type GraphJobMetrics } from '../../graph/run-job.ts'
import type { JobHandle } from '../../engine/run-options.ts'
import { resolveJob } from '../../jobs/registry.ts'
import { operate, type Operation } from '../../operating/operate.ts'
import { KvGraphSink } from '../../store/graph-sink.ts'
import { InMemoryKvStore } from '../../store/kv/memory-kv.ts'

describe('job dashboard in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-dashboard-'))
  let browser: Browser
  let handle: JobHandle<GraphJobMetrics>
  let operation: Operation

  beforeAll(async () => {
    const job = await resolveJob('login-events')
    const io = await buildJobIo(job, { kind: 'generator', count: 50_000_000, rate: 2_000, seed: 7 }, dir)
    const store = new InMemoryKvStore()
    const sink = new KvGraphSink({ id: 'graph-store', store, schema: job.graph, onReject: () => undefined })
    handle = runJob(job, {
      source: io.source,
      decode: io.decode,
      graphSinks: [sink],
      deadLetterSink: io.deadLetterSink,
      dataDir: dir,
      sideInputDir: sideInputDirFor(job),
      state: { backend: 'heap' },
      checkpoint: { intervalMs: 1_000 },
    })
    operation = await operate({
      job,
      handle,
      sinks: [sink],
      source: io.source,
      store,
      checkpointIntervalMs: 1_000,
      total: () => 50_000_000,
      http: { host: '127.0.0.1', port: 0 },
    })
    browser = await puppeteer.launch({
      executablePath: inject('chromium'),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await handle?.stop()
    await operation?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('draws the operator graph, live numbers, charts and a neighbourhood; the screenshot is not blank', async () => {
    const page = await browser.newPage()
    await page.setViewport({ width: 1280, height: 900 })
    await page.goto(operation.url!, { waitUntil: 'domcontentloaded' })

    // the operator graph, with the job's operator ids
    await page.waitForSelector('#operators g.op')
    const ids = await page.$$eval('#operators g.op', (gs) => gs.map((g) => g.getAttribute('data-op')))
    expect(ids).toEqual(expect.arrayContaining(['source', 'filter', 'project', 'to-graph', 'dedup', 'graph-store']))

    // the numbers change while the job runs
    const records = () => page.$eval('#kpi-records', (e) => Number((e.textContent ?? '').replace(/,/g, '')))
    await page.waitForFunction(() => Number((document.getElementById('kpi-records')?.textContent ?? '').replace(/,/g, '')) > 0)
    const first = await records()
    await page.waitForFunction(
      (n: number) => Number((document.getElementById('kpi-records')?.textContent ?? '').replace(/,/g, '')) > n,
      {},
      first,
    )
    expect(await records()).toBeGreaterThan(first)
    await page.waitForFunction(() => document.getElementById('kpi-progress')?.textContent?.includes('%'))

    // a throughput chart with a line, and the explorer's neighbourhood of a node read from the store
    await page.waitForSelector('#chart-rate polyline')
    await page.waitForFunction(() => Number(document.getElementById('neighbourhood')?.dataset.edges ?? 0) > 0)
    const centre = await page.$eval('#neighbourhood circle.center', (c) => c.getAttribute('data-node'))
    expect(centre).toMatch(/^account:/)

    const png = Buffer.from(await page.screenshot({ type: 'png', fullPage: true }))
    writeFileSync(process.env.RDG_SCREENSHOT ?? join(dir, 'dashboard.png'), png)
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(png.length).toBeGreaterThan(20_000)
    // the browser decodes its own screenshot: size and colour variety (a blank page has one colour)
    const check = await browser.newPage()
    const stats = await check.evaluate(
      async (src: string) => {
        const img = new Image()
        img.src = src
        await img.decode()
        const canvas = document.createElement('canvas')
        canvas.width = img.width
        canvas.height = img.height
        const ctx = canvas.getContext('2d')!
        ctx.drawImage(img, 0, 0)
        const data = ctx.getImageData(0, 0, img.width, img.height).data
        const colours = new Set<number>()
        let nonWhite = 0
        for (let i = 0; i < data.length; i += 4 * 7) {
          colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!)
          if (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240) nonWhite++
        }
        return { width: img.width, height: img.height, colours: colours.size, nonWhite: nonWhite / (data.length / (4 * 7)) }
      },
      `data:image/png;base64,${png.toString('base64')}`,
    )
    expect(stats.width).toBe(1280)
    expect(stats.height).toBeGreaterThanOrEqual(900)
    expect(stats.colours).toBeGreaterThan(50)
    expect(stats.nonWhite).toBeGreaterThan(0.05)
  })
})
