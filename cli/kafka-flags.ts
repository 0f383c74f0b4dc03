/**
 * The Kafka TLS and SASL flags every command that talks to Kafka shares (`run --brokers`,
 * `produce`): `--kafka-tls`, `--kafka-ca`, `--kafka-cert`, `--kafka-key`, `--kafka-sasl`,
 * `--kafka-user`, `--kafka-password-file`. Like every flag they also come from RDG_*
 * variables (RDG_KAFKA_SASL=scram-sha-512) and the config file ("kafka-ca": "ca.pem").
 *
 * Secrets come from a file or the environment only: RDG_KAFKA_PASSWORD or
 * --kafka-password-file, RDG_KAFKA_KEY_PASSPHRASE or --kafka-key-passphrase-file. A
 * `--kafka-password` flag (seen by anyone running `ps`) or config key (files get shared)
 * is refused, without echoing it.
 *
 * @example
 * yargs.options(KAFKA_SECURITY_OPTIONS)
 * const security = kafkaSecurityFromFlags(args) // KafkaSecurity, PLAINTEXT when no flag is given
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../base/errors.ts'
import { resolveKafkaSecurity, readTextFile, SASL_MECHANISMS, type KafkaSecurity } from '../connectors/kafka/security.ts'

export interface KafkaSecurityFlags {
  readonly 'kafka-tls'?: boolean | undefined
  readonly 'kafka-ca'?: string | undefined
  readonly 'kafka-cert'?: string | undefined
  readonly 'kafka-key'?: string | undefined
  readonly 'kafka-key-passphrase-file'?: string | undefined
  readonly 'kafka-key-passphrase'?: string | undefined
  readonly 'kafka-sasl'?: string | undefined
  readonly 'kafka-user'?: string | undefined
  readonly 'kafka-password-file'?: string | undefined
  readonly 'kafka-password'?: string | undefined
}

export const KAFKA_SECURITY_OPTIONS = {
  'kafka-tls': { type: 'boolean', describe: 'Kafka: connect with TLS (implied by --kafka-ca, --kafka-cert)' },
  'kafka-ca': {
    type: 'string',
    describe: "Kafka TLS: PEM file of the CA that signed the brokers' certificates (default: the system's CAs)",
  },
  'kafka-cert': { type: 'string', describe: 'Kafka TLS: PEM client certificate, for brokers that require one (with --kafka-key)' },
  'kafka-key': { type: 'string', describe: 'Kafka TLS: PEM private key of --kafka-cert' },
  'kafka-key-passphrase-file': {
    type: 'string',
    describe: 'Kafka TLS: file holding the passphrase of an encrypted --kafka-key (or RDG_KAFKA_KEY_PASSPHRASE)',
  },
  'kafka-sasl': { choices: [...SASL_MECHANISMS], describe: 'Kafka SASL mechanism (with --kafka-user and a password)' },
  'kafka-user': { type: 'string', describe: 'Kafka SASL user name' },
  'kafka-password-file': {
    type: 'string',
    describe: 'Kafka SASL: file holding the password (or RDG_KAFKA_PASSWORD; never a flag)',
  },
  // declared so that RDG_KAFKA_PASSWORD and RDG_KAFKA_KEY_PASSPHRASE are known options; a flag or config key is refused below
  'kafka-password': { type: 'string', hidden: true },
  'kafka-key-passphrase': { type: 'string', hidden: true },
} as const

/** The flags above, as option names, for "only applies to Kafka" checks. */
export const KAFKA_SECURITY_FLAG_NAMES = Object.keys(KAFKA_SECURITY_OPTIONS) as (keyof KafkaSecurityFlags)[]

/** Checks the flags and reads the PEM files and secrets; PLAINTEXT when none is given. */
export function kafkaSecurityFromFlags(
  flags: KafkaSecurityFlags,
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => Buffer | string = readFileSync,
): KafkaSecurity {
  const password = secret(flags, env, readFile, 'kafka-password', 'RDG_KAFKA_PASSWORD', 'the Kafka password')
  const keyPassphrase = secret(flags, env, readFile, 'kafka-key-passphrase', 'RDG_KAFKA_KEY_PASSPHRASE', 'the key passphrase')
  return resolveKafkaSecurity(
    {
      ...(flags['kafka-tls'] !== undefined ? { tls: flags['kafka-tls'] } : {}),
      ...(flags['kafka-ca'] !== undefined ? { ca: flags['kafka-ca'] } : {}),
      ...(flags['kafka-cert'] !== undefined ? { cert: flags['kafka-cert'] } : {}),
      ...(flags['kafka-key'] !== undefined ? { key: flags['kafka-key'] } : {}),
      ...(keyPassphrase !== undefined ? { keyPassphrase } : {}),
      ...(flags['kafka-sasl'] !== undefined ? { sasl: flags['kafka-sasl'] } : {}),
      ...(flags['kafka-user'] !== undefined ? { user: flags['kafka-user'] } : {}),
      ...(password !== undefined ? { password } : {}),
    },
    { readFile },
  )
}

/**
 * The first security flag set, for "only applies to Kafka"; the secrets' variables are left
 * out, since a shell may export them for every command.
 */
export function anyKafkaSecurityFlag(
  flags: KafkaSecurityFlags,
  env: NodeJS.ProcessEnv = process.env,
): keyof KafkaSecurityFlags | undefined {
  const fromEnv = (name: keyof KafkaSecurityFlags): boolean =>
    (name === 'kafka-password' && flags[name] === env.RDG_KAFKA_PASSWORD) ||
    (name === 'kafka-key-passphrase' && flags[name] === env.RDG_KAFKA_KEY_PASSPHRASE)
  return KAFKA_SECURITY_FLAG_NAMES.find((name) => flags[name] !== undefined && !fromEnv(name))
}

/**
 * A secret from `--<name>-file` or the environment variable `envName`. The option `name`
 * itself exists only so yargs accepts the variable: when its value is not the variable's,
 * it came from a flag or the config file, and is refused.
 */
function secret(
  flags: KafkaSecurityFlags,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => Buffer | string,
  name: 'kafka-password' | 'kafka-key-passphrase',
  envName: string,
  what: string,
): string | undefined {
  const value = flags[name]
  const file = flags[`${name}-file`]
  const fromEnv = env[envName]
  const onCommandLine = process.argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (value !== undefined && (value !== fromEnv || onCommandLine))
    throw new ConfigError(
      `${what} is not taken from --${name} or the config file (flags show in ps, config files get shared)`,
      `put it in a file and pass --${name}-file <file>, or set ${envName}`,
    )
  if (file !== undefined && fromEnv !== undefined)
    throw new ConfigError(`${what} is given twice, by --${name}-file and by ${envName}`, 'keep one of them')
  if (file !== undefined) {
    // a trailing newline is the editor's, not the secret's
    const text = readTextFile(readFile, file, `--${name}-file`).replace(/\r?\n$/, '')
    if (text === '') throw new ConfigError(`--${name}-file ${file} is empty`, `write ${what} into it`)
    return text
  }
  return fromEnv === '' ? undefined : fromEnv
}
