/**
 * A real Iceberg REST catalog for tests: Apache Iceberg's REST adapter and servlet (the
 * iceberg-open-api test fixtures from Maven Central, scripts/servers/iceberg-rest/pom.xml)
 * over a JDBC catalog on SQLite, run by the tiny launcher RestCatalog.java beside the pom
 * (compiled with javac into .servers/iceberg-rest/), on a free port of 127.0.0.1. Ready
 * when the launcher prints its port; `register` serves an existing table's metadata.json.
 *
 * @example
 * const rest = await startIcebergRest(dir)
 * await rest.register('rdg.playback', metadataPath)
 * // … --catalog rest.uri --table rdg.playback
 * await rest.stop()
 */
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'

const run = promisify(execFile)
const REPO = resolve(import.meta.dirname, '..', '..')
const DIR = join(REPO, 'scripts', 'servers', 'iceberg-rest')
const CACHE = join(REPO, '.servers', 'iceberg-rest')

export interface IcebergRest {
  readonly uri: string
  /** Creates the namespace if needed and registers the table `ns.name` at its metadata.json. */
  register(table: string, metadataLocation: string): Promise<void>
  stop(): Promise<void>
}

async function classpath(): Promise<string> {
  const hash = createHash('sha256')
    .update(readFileSync(join(DIR, 'pom.xml')))
    .update(readFileSync(join(DIR, 'RestCatalog.java')))
    .digest('hex')
    .slice(0, 16)
  const cached = join(CACHE, `classpath-${hash}.txt`)
  const classes = join(CACHE, `classes-${hash}`)
  if (!existsSync(cached) || !existsSync(join(classes, 'RestCatalog.class'))) {
    mkdirSync(classes, { recursive: true })
    await run('mvn', ['-q', '-B', '-f', join(DIR, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${cached}`], {
      maxBuffer: 16 << 20,
    })
    await run('javac', ['-d', classes, '-cp', readFileSync(cached, 'utf8').trim(), join(DIR, 'RestCatalog.java')])
  }
  return `${readFileSync(cached, 'utf8').trim()}:${classes}`
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })
}

export async function startIcebergRest(dir: string, readyTimeoutMs = 120_000): Promise<IcebergRest> {
  const cp = await classpath()
  const port = await freePort()
  mkdirSync(join(dir, 'rest-warehouse'), { recursive: true })
  const proc = spawn(
    'java',
    ['-Xmx256m', '-cp', cp, 'RestCatalog', String(port), join(dir, 'rest-catalog.db'), join(dir, 'rest-warehouse')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let log = ''
  proc.stderr.on('data', (d) => (log = (log + String(d)).slice(-4_000)))
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`the Iceberg REST catalog did not start in ${readyTimeoutMs} ms: ${log}`)),
      readyTimeoutMs,
    )
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer)
        ok()
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`the Iceberg REST catalog exited with ${code}: ${log}`))
    })
  })
  const uri = `http://127.0.0.1:${port}`
  const post = async (path: string, body: unknown, okStatus: number[]) => {
    const res = await fetch(`${uri}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!okStatus.includes(res.status)) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`)
  }
  return {
    uri,
    async register(table, metadataLocation) {
      const dot = table.lastIndexOf('.')
      const ns = table.slice(0, dot)
      await post('/v1/namespaces', { namespace: ns.split('.') }, [200, 409])
      await post(
        `/v1/namespaces/${encodeURIComponent(ns)}/register`,
        { name: table.slice(dot + 1), 'metadata-location': metadataLocation },
        [200],
      )
    },
    async stop() {
      if (proc.exitCode !== null) return
      const exited = new Promise((ok) => proc.once('exit', ok))
      proc.kill('SIGTERM')
      await exited
    },
  }
}
