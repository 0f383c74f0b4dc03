/**
 * The real Java Kafka client, for tests that need bytes exactly as Kafka's own client
 * writes and reads them (compression codecs). `RdgCodecClient.java` beside this file is
 * compiled with the JDK's javac against the broker's cached Maven classpath (which carries
 * kafka-clients with snappy-java, lz4-java and zstd-jni), once per source hash, into
 * `.servers/kafka/java-<hash>/`.
 *
 * @example
 * await javaProduce(brokers, [Buffer.from('a')], { lz4: 'topic-a' })
 * const values = await javaConsume(brokers, ['topic-a'], 1)
 * const codecs = await batchCodecs(join(kafkaDir, 'data', 'topic-a-0'))
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { kafkaClasspath } from './kafka-server.ts'

const run = promisify(execFile)
const REPO = resolve(import.meta.dirname, '..', '..')
const SOURCE = join(import.meta.dirname, 'RdgCodecClient.java')

let compiled: Promise<{ classpath: string; log4j: string }> | null = null

/** Compiles the client once per source content; later runs reuse the classes. */
function client(): Promise<{ classpath: string; log4j: string }> {
  compiled ??= (async () => {
    const kafka = await kafkaClasspath()
    const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 16)
    const dir = join(REPO, '.servers', 'kafka', `java-${hash}`)
    const log4j = join(dir, 'log4j.properties')
    if (!existsSync(join(dir, 'RdgCodecClient.class'))) {
      const staging = `${dir}.tmp-${process.pid}`
      mkdirSync(staging, { recursive: true })
      await run('javac', ['-nowarn', '-cp', kafka, '-d', staging, SOURCE], { maxBuffer: 16 << 20 })
      writeFileSync(
        join(staging, 'log4j.properties'),
        'log4j.rootLogger=ERROR, err\nlog4j.appender.err=org.apache.log4j.ConsoleAppender\nlog4j.appender.err.Target=System.err\nlog4j.appender.err.layout=org.apache.log4j.PatternLayout\nlog4j.appender.err.layout.ConversionPattern=%p %m%n\n',
      )
      rmSync(dir, { recursive: true, force: true })
      // a rename, so a half-compiled directory is never taken for a finished one
      renameSync(staging, dir)
    }
    return { classpath: `${dir}:${kafka}`, log4j }
  })()
  return compiled
}

async function java(mainClass: string, args: string[]): Promise<string> {
  const { classpath, log4j } = await client()
  try {
    const { stdout } = await run(
      'java',
      [
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        `-Dlog4j.configuration=file:${log4j}`,
        '-cp',
        classpath,
        mainClass,
        ...args,
      ],
      { maxBuffer: 256 << 20, timeout: 90_000 },
    )
    return stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${mainClass} ${args[0] ?? ''} failed: ${e.message}\n${(e.stderr ?? '').slice(-4_000)}`)
  }
}

/** Kafka's Java producer writes `values` to partition 0 of each topic, one producer per `compression.type`. */
export async function javaProduce(
  brokers: string[],
  values: readonly Buffer[],
  topicsByCodec: Readonly<Record<string, string>>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rdg-java-'))
  try {
    const file = join(dir, 'values.b64')
    writeFileSync(file, values.map((v) => (v.length === 0 ? '-' : v.toString('base64'))).join('\n') + '\n')
    const pairs = Object.entries(topicsByCodec).map(([codec, topic]) => `${codec}=${topic}`)
    await java('RdgCodecClient', ['produce', brokers.join(','), file, ...pairs])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Kafka's Java consumer reads each topic from the beginning until `count` records (30 s at most per topic). */
export async function javaConsume(brokers: string[], topics: readonly string[], count: number): Promise<Map<string, Buffer[]>> {
  const out = new Map<string, Buffer[]>(topics.map((t) => [t, []]))
  const stdout = await java('RdgCodecClient', ['consume', brokers.join(','), String(count), ...topics])
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t')
    if (tab < 0) continue
    out.get(line.slice(0, tab))?.push(Buffer.from(line.slice(tab + 1), 'base64'))
  }
  return out
}

/**
 * The compression codec of every record batch in the given partition directories, as
 * Kafka's own DumpLogSegments reads them from the broker's log (so the bytes on disk are
 * proven to be what the broker and its tools understand).
 */
export async function batchCodecs(partitionDirs: readonly string[]): Promise<Map<string, string[]>> {
  const files = partitionDirs.map((d) => {
    const log = readdirSync(d).find((f) => f.endsWith('.log'))
    if (!log) throw new Error(`no log segment in ${d}`)
    return join(d, log)
  })
  const stdout = await java('kafka.tools.DumpLogSegments', ['--files', files.join(',')])
  const out = new Map<string, string[]>()
  let current: string[] | null = null
  for (const line of stdout.split('\n')) {
    const file = /^Dumping (.+)$/.exec(line)
    if (file) {
      const dir = partitionDirs[files.indexOf(file[1]!)]
      current = []
      if (dir) out.set(dir, current)
      continue
    }
    const codec = /^baseOffset: .* compresscodec: (\w+)/.exec(line)
    if (codec && current) current.push(codec[1]!.toLowerCase())
  }
  return out
}
