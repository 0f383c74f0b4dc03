/**
 * The operating flags `run` and `backfill` share: `--http host:port` (metrics, health,
 * dashboard), `--log-format json|pretty`, `--log-level`; like every flag they also come
 * from RDG_* variables (RDG_HTTP=127.0.0.1:9464) and the config file. `operatingFromFlags`
 * sets up the logger (kafkajs and cassandra-driver routed through it) and the status line.
 *
 * @example
 * const live = operatingFromFlags(args)
 * await runTopic({ ..., ...live.runTopicOptions, onProgress: live.onProgress })
 * live.close()
 */
import type { Logger } from 'pino'
import type { GraphJobMetrics } from '../graph/run-job.ts'
import type { LiveProgress } from '../operating/operate.ts'
import { parseHttpFlag } from '../operating/job-server.ts'
import { checkLogFlags, createLogger, LOG_LEVELS, routeClientLogs } from './logging.ts'
import { createStatus, type Status } from './status.ts'

export interface OperatingFlags {
  http?: string | undefined
  'log-format'?: string | undefined
  'log-level'?: string | undefined
}

export const OPERATING_OPTIONS = {
  http: { type: 'string', describe: 'serve /metrics (Prometheus), /healthz, /readyz and a dashboard on host:port while the job runs' },
  'log-format': { choices: ['json', 'pretty'], describe: 'log lines as JSON (pino) or for people (default pretty)' },
  'log-level': { choices: [...LOG_LEVELS], describe: 'least severe level logged (default info)' },
} as const

export interface Operating {
  readonly log: Logger
  readonly status: Status
  readonly http: { host: string; port: number; onListening: (url: string) => void } | undefined
  /** For runTopic's onProgress: updates the status line. */
  readonly onProgress: (m: Readonly<GraphJobMetrics>, live: LiveProgress) => void
  readonly close: () => void
}

export function operatingFromFlags(flags: OperatingFlags, tty = process.stderr.isTTY): Operating {
  const { format, level } = checkLogFlags(flags['log-format'], flags['log-level'])
  const http = flags.http !== undefined ? parseHttpFlag(flags.http) : undefined
  const log = createLogger({ format, level })
  const unroute = routeClientLogs(log)
  const status = createStatus({ tty })
  return {
    log,
    status,
    http: http
      ? { ...http, onListening: (url) => log.info({ component: 'http' }, `dashboard and metrics on ${url} (/metrics, /healthz, /readyz)`) }
      : undefined,
    onProgress: (m, live) =>
      status.update({
        recordsIn: m.recordsIn,
        written: m.primitivesAfterDedup,
        deadLetters: m.deadLetters,
        checkpoint: m.lastCheckpointId,
        total: live.total,
        done: live.done,
        lag: live.lag,
      }),
    close: () => {
      status.stop()
      unroute()
      log.flush()
    },
  }
}
