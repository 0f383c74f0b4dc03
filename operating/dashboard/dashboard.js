// rdg job dashboard: polls the job's HTTP server and draws with plain SVG.
/* global document, fetch, Option, setTimeout */
const $ = (id) => document.getElementById(id)
const NS = 'http://www.w3.org/2000/svg'
const fmt = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'))
const dur = (s) =>
  s < 120
    ? `${s.toFixed(1)} s`
    : s < 7200
      ? `${(s / 60).toFixed(1)} min`
      : s < 172800
        ? `${(s / 3600).toFixed(1)} h`
        : `${(s / 86400).toFixed(1)} d`
const el = (tag, attrs, text) => {
  const e = document.createElementNS(NS, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

function drawOperators(ops) {
  const svg = $('operators')
  svg.replaceChildren()
  const w = 150
  const h = 46
  const cols = new Map()
  ops.forEach((o, i) => {
    const depth = o.depth
    const row = cols.get(depth) ?? 0
    cols.set(depth, row + 1)
    o.x = 10 + depth * (w + 24)
    o.y = 10 + row * (h + 12)
    o.i = i
  })
  // edges: each operator hangs off the nearest earlier operator one level up
  ops.forEach((o, i) => {
    for (let j = i - 1; j >= 0; j--) {
      if (ops[j].depth === o.depth - 1) {
        svg.append(el('line', { x1: ops[j].x + w, y1: ops[j].y + h / 2, x2: o.x, y2: o.y + h / 2 }))
        break
      }
    }
  })
  svg.setAttribute('viewBox', `0 0 ${Math.max(...ops.map((o) => o.x + w + 10), 300)} ${Math.max(...ops.map((o) => o.y + h + 10), 60)}`)
  for (const o of ops) {
    const g = el('g', { class: 'op', 'data-op': o.id })
    g.append(el('rect', { x: o.x, y: o.y, width: w, height: h, rx: 6 }))
    g.append(el('text', { x: o.x + 6, y: o.y + 15, 'font-weight': 'bold' }, o.id))
    g.append(el('text', { x: o.x + 6, y: o.y + 28 }, `${o.kind}`))
    g.append(
      el(
        'text',
        { x: o.x + 6, y: o.y + 41, class: 'op-rate' },
        o.chained
          ? 'chained into the next'
          : o.kind === 'sink'
            ? `${fmt(o.rate)}/s · ${fmt(o.recordsIn)} in`
            : `${fmt(o.rate)}/s · ${fmt(o.recordsOut)} out`,
      ),
    )
    svg.append(g)
  }
}

function drawChart(id, values) {
  const svg = $(id)
  svg.replaceChildren()
  const W = 300
  const H = 100
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`)
  svg.setAttribute('preserveAspectRatio', 'none')
  const vs = values.filter((v) => v !== null && Number.isFinite(v))
  if (vs.length === 0) {
    svg.append(el('text', { x: 8, y: 20 }, 'no data'))
    return
  }
  const max = Math.max(...vs, 1)
  const pts = values.map((v, i) => `${(i / Math.max(values.length - 1, 1)) * W},${H - 4 - ((v ?? 0) / max) * (H - 16)}`)
  svg.append(el('polyline', { points: pts.join(' ') }))
  svg.append(el('text', { x: 4, y: 10 }, `max ${fmt(max)} · now ${fmt(vs[vs.length - 1])}`))
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' })
  return res.json()
}

let typesFilled = false
async function refresh() {
  const [job, history] = await Promise.all([getJson('/api/job'), getJson('/api/history')])
  $('job-name').textContent = job.name
  $('ready').textContent = job.ready ? 'ready' : 'not ready'
  $('ready').className = `badge ${job.ready ? 'ok' : 'bad'}`
  $('kpi-records').textContent = fmt(job.recordsIn)
  $('kpi-rate').textContent = fmt(job.rate)
  $('kpi-progress').textContent = job.total ? `${Math.min(100, (100 * job.done) / job.total).toFixed(1)} %` : '–'
  $('kpi-dead').textContent = fmt(job.deadLetters)
  $('kpi-dedup').textContent = job.primitivesBeforeDedup > 0 ? `${(100 * job.dedupRatio).toFixed(1)} %` : '–'
  $('kpi-wm-lag').textContent = job.watermark === null ? '–' : dur(job.watermarkLagS)
  $('kpi-lag').textContent = job.consumerLag ? fmt(job.consumerLag.total) : '–'
  $('kpi-checkpoints').textContent = fmt(job.checkpoints)
  drawOperators(job.operators)
  const s = history.samples
  drawChart(
    'chart-rate',
    s.map((x) => x.rate),
  )
  drawChart(
    'chart-wm',
    s.map((x) => x.watermarkLagS),
  )
  drawChart(
    'chart-lag',
    s.map((x) => x.consumerLag),
  )
  drawChart(
    'chart-cp',
    s.map((x) => x.checkpointMs),
  )
  if (job.graph && !typesFilled) {
    typesFilled = true
    const sel = $('node-type')
    for (const t of job.graph.nodes) sel.append(new Option(t, t))
    sel.addEventListener('change', () => void loadSamples())
    await loadSamples()
  }
  document.body.dataset.updated = String(job.now)
}

async function loadSamples() {
  const type = $('node-type').value
  const { ids } = await getJson(`/api/graph/sample?type=${encodeURIComponent(type)}`)
  const span = $('samples')
  span.replaceChildren()
  for (const id of ids ?? []) {
    const a = document.createElement('a')
    a.textContent = id
    a.addEventListener('click', () => void explore(type, id))
    span.append(a)
  }
  if (ids?.length && !$('node-id').value) await explore(type, ids[0])
}

async function explore(type, id) {
  $('node-type').value = type
  $('node-id').value = id
  const r = await getJson(`/api/graph/node?type=${encodeURIComponent(type)}&id=${encodeURIComponent(id)}`)
  const svg = $('neighbourhood')
  svg.replaceChildren()
  const W = 800
  const H = 320
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`)
  const cx = W / 2
  const cy = H / 2
  const edges = r.edges ?? []
  edges.forEach((e, i) => {
    const a = (2 * Math.PI * i) / Math.max(edges.length, 1)
    const x = cx + Math.cos(a) * 250
    const y = cy + Math.sin(a) * 120
    svg.append(el('line', { x1: cx, y1: cy, x2: x, y2: y }))
    const c = el('circle', { cx: x, cy: y, r: 9, class: 'neighbour', 'data-node': `${e.node.type}:${e.node.id}` })
    c.addEventListener('click', () => void explore(e.node.type, e.node.id))
    svg.append(c)
    svg.append(el('text', { x: x + 11, y: y + 3 }, `${e.direction === 'in' ? '←' : '→'} ${e.edge} ${e.node.type}:${e.node.id}`))
  })
  svg.append(el('circle', { cx, cy, r: 14, class: 'center', 'data-node': `${type}:${id}` }))
  svg.append(el('text', { x: cx + 16, y: cy + 4, 'font-weight': 'bold' }, `${type}:${id}`))
  $('node-props').textContent = r.node ? JSON.stringify(r.node.properties) : 'not in the store (yet)'
  svg.dataset.edges = String(edges.length)
}

$('explore').addEventListener('submit', (ev) => {
  ev.preventDefault()
  void explore($('node-type').value, $('node-id').value)
})

async function loop() {
  try {
    await refresh()
  } catch (err) {
    $('ready').textContent = `unreachable (${err.message})`
    $('ready').className = 'badge bad'
  }
  setTimeout(loop, 1000)
}
void loop()
