/**
 * A real single-node Apache Cassandra for tests and benchmarks, without Docker: the jars
 * come from Maven Central (scripts/servers/cassandra/pom.xml), the classpath is resolved
 * once and cached under `.servers/cassandra/`, and the server runs as a plain `java`
 * process on 127.0.0.1 with free ports, a fresh directory and a 1 GiB heap.
 *
 * `start` waits until a real `SELECT * FROM system.local` answers; if the server dies or
 * does not answer in time it throws with the tail of the server's log. A pid file in the
 * server directory lets a teardown stop a server that a test restarted.
 *
 * @example
 * const server = await CassandraServer.start()
 * // ... cassandra-driver on server.contactPoint, data center server.localDataCenter
 * await server.stop()          // SIGINT, then SIGKILL after a grace period
 * await server.start()         // same directory and ports, data kept
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, closeSync, writeFileSync, unlinkSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import cassandra from 'cassandra-driver'
import { systemClock } from '../../base/clock.ts'

const REPO = resolve(import.meta.dirname, '..', '..')
const POM = join(REPO, 'scripts', 'servers', 'cassandra', 'pom.xml')
const CACHE = join(REPO, '.servers', 'cassandra')
const DATA_CENTER = 'datacenter1'
const run = promisify(execFile)

export interface CassandraServerOptions {
  /** Server directory (config, data, logs, pid file). Default: a fresh temp directory. */
  readonly dir?: string
  /** CQL port. Default: a free port. */
  readonly nativePort?: number
  /** Inter-node port. Default: a free port. */
  readonly storagePort?: number
  /** Default 180 s: a cold start takes tens of seconds on 2 cores. */
  readonly startTimeoutMs?: number
}

/** Connection facts a test needs. */
export interface CassandraConnection {
  readonly contactPoint: string
  readonly host: string
  readonly port: number
  readonly localDataCenter: string
}

/** Resolves (once, then from the cache) the classpath of cassandra-all. */
export async function cassandraClasspath(): Promise<string> {
  const file = join(CACHE, 'cp.txt')
  // Rebuild when the pom changed after the cached classpath was written.
  if (existsSync(file) && statSync(file).mtimeMs >= statSync(POM).mtimeMs) return readFileSync(file, 'utf8').trim()
  mkdirSync(CACHE, { recursive: true })
  try {
    await run('mvn', ['-q', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${file}`], { maxBuffer: 16 << 20 })
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string }
    throw new Error(
      `could not resolve Cassandra from Maven Central (mvn -f ${POM} dependency:build-classpath): ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`,
    )
  }
  return readFileSync(file, 'utf8').trim()
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))))
    })
  })
}

function yaml(dir: string, nativePort: number, storagePort: number): string {
  return `cluster_name: rdg-test
num_tokens: 16
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${storagePort}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
native_transport_port: ${nativePort}
storage_port: ${storagePort}
start_native_transport: true
data_file_directories:
  - ${join(dir, 'data')}
commitlog_directory: ${join(dir, 'commitlog')}
saved_caches_directory: ${join(dir, 'saved_caches')}
hints_directory: ${join(dir, 'hints')}
cdc_raw_directory: ${join(dir, 'cdc_raw')}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
concurrent_reads: 16
concurrent_writes: 16
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
key_cache_size: 16MiB
auto_snapshot: false
snapshot_before_compaction: false
dynamic_snitch: false
disk_access_mode: mmap_index_only
write_request_timeout: 5000ms
read_request_timeout: 10000ms
range_request_timeout: 10000ms
`
}

// The server logs INFO to a file we can show on failure; DEBUG would flood the disk.
const LOGBACK = (dir: string) => `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${join(dir, 'system.log')}</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE" /></root>
</configuration>
`

function javaArgs(dir: string, cp: string): string[] {
  const jamm = cp.split(':').find((p) => /jamm-[\d.]+\.jar$/.test(p))
  const exportsList = [
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file',
    'jdk.attach/sun.tools.attach',
  ]
  const opens = [
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'java.base/java.lang',
    'java.base/java.util',
    'jdk.management/com.sun.management.internal',
    'jdk.compiler/com.sun.tools.javac',
  ]
  return [
    '-Xms1G',
    '-Xmx1G',
    '-Xss256k',
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:ActiveProcessorCount=2',
    '-Djava.net.preferIPv4Stack=true',
    '-Djdk.attach.allowAttachSelf=true',
    '-Dio.netty.tryReflectionSetAccessible=true',
    ...exportsList.map((e) => `--add-exports=${e}=ALL-UNNAMED`),
    ...opens.map((o) => `--add-opens=${o}=ALL-UNNAMED`),
    ...(jamm ? [`-javaagent:${jamm}`] : []),
    `-Dcassandra.config=file://${join(dir, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=file://${join(dir, 'logback.xml')}`,
    `-Dcassandra.storagedir=${dir}`,
    `-Dcassandra.logdir=${dir}`,
    `-Djna.tmpdir=${join(dir, 'tmp')}`,
    `-Djava.io.tmpdir=${join(dir, 'tmp')}`,
    '-Dcassandra-foreground=yes',
    '-Dcassandra.jmx.local.port=0',
    // A single fresh node needs no gossip settling, ring delay or schema pulls.
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.ring_delay_ms=0',
    '-Dcassandra.skip_schema_check=true',
    '-cp',
    cp,
    'org.apache.cassandra.service.CassandraDaemon',
  ]
}

/** Last `lines` lines of a file, or '' if it does not exist. */
export function tailOf(file: string, lines = 40): string {
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Stops the process in a server directory's pid file: SIGINT, then SIGKILL after `graceMs`. */
export async function stopByPidFile(dir: string, graceMs = 30_000): Promise<void> {
  const pidFile = join(dir, 'cassandra.pid')
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGINT')
    const deadline = systemClock.now() + graceMs
    while (alive(pid) && systemClock.now() < deadline) await systemClock.sleep(100)
    if (alive(pid)) {
      process.kill(pid, 'SIGKILL')
      while (alive(pid)) await systemClock.sleep(50)
    }
  }
  if (existsSync(pidFile)) unlinkSync(pidFile)
}

export class CassandraServer implements CassandraConnection {
  readonly host = '127.0.0.1'
  readonly localDataCenter = DATA_CENTER
  private proc: ChildProcess | null = null

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly storagePort: number,
    private readonly startTimeoutMs: number,
  ) {}

  get contactPoint(): string {
    return `${this.host}:${this.port}`
  }

  get logFile(): string {
    return join(this.dir, 'system.log')
  }

  get pid(): number | null {
    return this.proc?.pid ?? null
  }

  /** Creates a server directory with its config and starts it. */
  static async start(options: CassandraServerOptions = {}): Promise<CassandraServer> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'rdg-cassandra-'))
    const server = new CassandraServer(
      dir,
      options.nativePort ?? (await freePort()),
      options.storagePort ?? (await freePort()),
      options.startTimeoutMs ?? 180_000,
    )
    await server.start()
    return server
  }

  /** A handle on a server started elsewhere (e.g. by the global setup), from its directory: to stop and restart it. */
  static attach(dir: string, startTimeoutMs = 180_000): CassandraServer {
    const config = readFileSync(join(dir, 'cassandra.yaml'), 'utf8')
    const port = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(config)?.[1] ?? Number.NaN)
    return new CassandraServer(dir, port('native_transport_port'), port('storage_port'), startTimeoutMs)
  }

  /** Starts (or restarts) the server in its directory, on its ports; resolves when CQL answers. */
  async start(): Promise<void> {
    if (this.proc) throw new Error('Cassandra is already running')
    const cp = await cassandraClasspath()
    for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw', 'tmp']) mkdirSync(join(this.dir, sub), { recursive: true })
    writeFileSync(join(this.dir, 'cassandra.yaml'), yaml(this.dir, this.port, this.storagePort))
    writeFileSync(join(this.dir, 'logback.xml'), LOGBACK(this.dir))
    const out = openSync(join(this.dir, 'stdout.log'), 'a')
    const proc = spawn('java', javaArgs(this.dir, cp), { cwd: this.dir, stdio: ['ignore', out, out], detached: false })
    closeSync(out)
    this.proc = proc
    let exited: string | null = null
    proc.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`
      if (this.proc === proc) this.proc = null
    })
    if (proc.pid) writeFileSync(join(this.dir, 'cassandra.pid'), String(proc.pid))
    try {
      await this.waitReady(() => exited)
    } catch (err) {
      await this.stop(5_000)
      throw new Error(
        `${(err as Error).message}\n--- Cassandra log tail (${this.logFile}) ---\n${tailOf(this.logFile)}\n--- stdout/stderr ---\n${tailOf(join(this.dir, 'stdout.log'), 20)}`,
      )
    }
  }

  private async waitReady(exited: () => string | null): Promise<void> {
    const deadline = systemClock.now() + this.startTimeoutMs
    let lastError = ''
    while (systemClock.now() < deadline) {
      const gone = exited()
      if (gone) throw new Error(`Cassandra ${gone} before it was ready`)
      // Only try CQL once the log says the port is open; connecting earlier just fails slowly.
      if (tailOf(this.logFile, 400).includes('Starting listening for CQL clients')) {
        const client = new cassandra.Client({
          contactPoints: [this.contactPoint],
          localDataCenter: DATA_CENTER,
          socketOptions: { connectTimeout: 2_000, readTimeout: 5_000 },
        })
        try {
          await client.connect()
          const rs = await client.execute('SELECT * FROM system.local')
          if (rs.rowLength === 1) return
        } catch (err) {
          lastError = (err as Error).message
        } finally {
          await client.shutdown().catch(() => {})
        }
      }
      await systemClock.sleep(250)
    }
    throw new Error(
      `Cassandra did not answer SELECT * FROM system.local on ${this.contactPoint} within ${this.startTimeoutMs / 1000} s${lastError ? ` (last error: ${lastError})` : ''}`,
    )
  }

  /** SIGINT (Cassandra drains memtables to disk), then SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const proc = this.proc
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const done = new Promise<void>((r) => proc.once('exit', () => r()))
      await stopByPidFile(this.dir, graceMs)
      await done
    } else {
      await stopByPidFile(this.dir, graceMs)
    }
    this.proc = null
  }

  /** The connection facts, as plain data (for vitest's `provide`). */
  connection(): CassandraConnection & { readonly dir: string } {
    return { contactPoint: this.contactPoint, host: this.host, port: this.port, localDataCenter: this.localDataCenter, dir: this.dir }
  }
}
