/**
 * TLS and SASL for every kafkajs client (source, sinks, dead letters, `produce`): checks
 * what the user gave (PEM files, SASL mechanism, user, password) once, up front, and turns
 * it into kafkajs' `ssl` and `sasl` config. A missing or unreadable file, a key that does
 * not match its certificate or a SASL mechanism without a user is a one-line ConfigError
 * here, before any connection is tried.
 *
 * Secrets (the SASL password, a key passphrase) live only in private fields of the
 * returned KafkaSecurity: printing it, logging it or JSON.stringify-ing options that hold
 * it shows `describe()` (mechanism and user), never the secret.
 *
 * @example
 * const security = resolveKafkaSecurity({ ca: 'ca.pem', sasl: 'scram-sha-256', user: 'rdg', password })
 * createKafkaClient({ brokers: 'kafka:9093', security })
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { inspect } from 'node:util'
import type { SASLOptions } from 'kafkajs'
import { systemClock } from '../../base/clock.ts'
import { ConfigError } from '../../base/errors.ts'

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

/** What the user gave: PEM file paths, names, and the secrets' values (read from a file or the environment by the caller). */
export interface KafkaSecuritySettings {
  /** TLS on; implied by `ca`, `cert` or `key`. */
  readonly tls?: boolean
  /** PEM file of the CA(s) that signed the broker's certificate; default the system's CAs. */
  readonly ca?: string
  /** PEM files of a client certificate and its private key, for brokers that require one (mTLS). */
  readonly cert?: string
  readonly key?: string
  readonly keyPassphrase?: string
  readonly sasl?: string
  readonly user?: string
  readonly password?: string
}

export interface ResolveOptions {
  /** Reads a file; default fs.readFileSync (tests pass a fake). */
  readonly readFile?: (path: string) => Buffer | string
  /** Now, for certificate expiry; default Date.now(). */
  readonly now?: number
}

type KafkajsSecurity = { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions }

/** A KafkaSecurity taken apart to cross to another thread (structured-cloneable). */
export interface KafkaSecurityParts {
  readonly tls: boolean
  readonly ssl: ConnectionOptions | null
  readonly tlsDetail: string
  readonly sasl: SaslMechanism | null
  readonly user: string | null
  readonly password: string | null
}

/** Checked security settings; hand it to createKafkaClient. The secrets never leave it except into kafkajs. */
export class KafkaSecurity {
  readonly #ssl: ConnectionOptions | null
  readonly #password: string | null

  constructor(
    /** Whether connections use TLS. */
    readonly tls: boolean,
    ssl: ConnectionOptions | null,
    /** What TLS checks and presents, for messages: `CA ca.pem, client certificate client.pem`. */
    readonly tlsDetail: string,
    readonly sasl: SaslMechanism | null,
    readonly user: string | null,
    password: string | null,
  ) {
    this.#ssl = ssl
    this.#password = password
  }

  /** Everything, secrets included, to rebuild this in the Kafka fetch worker (a thread of this process; fetch-worker.ts). */
  parts(): KafkaSecurityParts {
    return { tls: this.tls, ssl: this.#ssl, tlsDetail: this.tlsDetail, sasl: this.sasl, user: this.user, password: this.#password }
  }

  static fromParts(p: KafkaSecurityParts): KafkaSecurity {
    return new KafkaSecurity(p.tls, p.ssl, p.tlsDetail, p.sasl, p.user, p.password)
  }

  /** kafkajs' `ssl` and `sasl` entries (empty for a plaintext broker). */
  kafkajs(): KafkajsSecurity {
    const out: KafkajsSecurity = {}
    if (this.tls) out.ssl = this.#ssl ?? true
    if (this.sasl) out.sasl = { mechanism: this.sasl, username: this.user!, password: this.#password! }
    return out
  }

  /** For messages and logs: `TLS (CA ca.pem) + SASL SCRAM-SHA-256 as "rdg"`; never a secret. */
  describe(): string {
    const parts: string[] = []
    if (this.tls) parts.push(`TLS${this.tlsDetail ? ` (${this.tlsDetail})` : ''}`)
    if (this.sasl) parts.push(`SASL ${this.sasl.toUpperCase()} as "${this.user}"`)
    return parts.join(' + ') || 'plaintext'
  }

  toJSON(): string {
    return this.describe()
  }

  [inspect.custom](): string {
    return `KafkaSecurity(${this.describe()})`
  }

  toString(): string {
    return this.describe()
  }
}

/** No TLS, no SASL. */
export const PLAINTEXT = new KafkaSecurity(false, null, '', null, null, null)

/** Validates the settings and reads the PEM files; every mistake is a one-line ConfigError that names the flag to fix. */
export function resolveKafkaSecurity(settings: KafkaSecuritySettings, options: ResolveOptions = {}): KafkaSecurity {
  const readFile = options.readFile ?? readFileSync
  const now = options.now ?? systemClock.now()
  const sasl = resolveSasl(settings)
  const files = settings.ca !== undefined || settings.cert !== undefined || settings.key !== undefined
  if (settings.tls === false && files)
    throw new ConfigError(
      '--kafka-tls is off but --kafka-ca, --kafka-cert or --kafka-key is given',
      'drop --no-kafka-tls, or drop the files',
    )
  if (settings.cert !== undefined && settings.key === undefined)
    throw new ConfigError('--kafka-cert needs its private key', 'pass --kafka-key <key.pem> too')
  if (settings.key !== undefined && settings.cert === undefined)
    throw new ConfigError('--kafka-key needs its certificate', 'pass --kafka-cert <cert.pem> too')
  if (settings.keyPassphrase !== undefined && settings.key === undefined)
    throw new ConfigError(
      'a key passphrase is set but no --kafka-key',
      'pass --kafka-key <key.pem> --kafka-cert <cert.pem>, or unset the passphrase',
    )
  const tls = settings.tls === true || files
  if (!tls) return sasl ? new KafkaSecurity(false, null, '', sasl.mechanism, sasl.user, sasl.password) : PLAINTEXT

  const ssl: ConnectionOptions = {}
  const detail: string[] = []
  if (settings.ca !== undefined) {
    const pem = readPem(readFile, settings.ca, '--kafka-ca')
    const certs = pemBlocks(pem, 'CERTIFICATE')
    if (certs.length === 0)
      throw new ConfigError(
        `--kafka-ca ${settings.ca} holds no PEM certificate`,
        'pass the CA certificate in PEM (-----BEGIN CERTIFICATE-----), e.g. from keytool -exportcert -rfc',
      )
    for (const c of certs) parseCertificate(c, settings.ca, '--kafka-ca')
    ssl.ca = certs
    detail.push(`CA ${settings.ca}`)
  }
  if (settings.cert !== undefined && settings.key !== undefined) {
    const certPem = readPem(readFile, settings.cert, '--kafka-cert')
    const chain = pemBlocks(certPem, 'CERTIFICATE')
    if (chain.length === 0)
      throw new ConfigError(
        `--kafka-cert ${settings.cert} holds no PEM certificate`,
        'pass the client certificate in PEM (-----BEGIN CERTIFICATE-----)',
      )
    const cert = parseCertificate(chain[0]!, settings.cert, '--kafka-cert')
    if (Date.parse(cert.validTo) < now)
      throw new ConfigError(`client certificate ${settings.cert} expired on ${new Date(cert.validTo).toISOString()}`, 'renew it')
    const keyPem = readPem(readFile, settings.key, '--kafka-key')
    const key = parseKey(keyPem, settings.key, settings.keyPassphrase)
    if (!cert.checkPrivateKey(key))
      throw new ConfigError(
        `--kafka-key ${settings.key} is not the private key of --kafka-cert ${settings.cert}`,
        'pass the key the certificate was made for',
      )
    ssl.cert = certPem
    ssl.key = keyPem
    if (settings.keyPassphrase !== undefined) ssl.passphrase = settings.keyPassphrase
    detail.push(`client certificate ${settings.cert}`)
  }
  return new KafkaSecurity(
    true,
    Object.keys(ssl).length > 0 ? ssl : null,
    detail.join(', '),
    sasl?.mechanism ?? null,
    sasl?.user ?? null,
    sasl?.password ?? null,
  )
}

function resolveSasl(settings: KafkaSecuritySettings): { mechanism: SaslMechanism; user: string; password: string } | null {
  const { sasl, user, password } = settings
  if (sasl === undefined) {
    if (user !== undefined)
      throw new ConfigError('--kafka-user given without --kafka-sasl', `add --kafka-sasl ${SASL_MECHANISMS.join('|')}`)
    if (password !== undefined)
      throw new ConfigError('a Kafka password is set but no --kafka-sasl', `add --kafka-sasl ${SASL_MECHANISMS.join('|')} and --kafka-user`)
    return null
  }
  const mechanism = sasl.toLowerCase()
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism))
    throw new ConfigError(`--kafka-sasl ${sasl} is not one of ${SASL_MECHANISMS.join(', ')}`, 'pick one, e.g. --kafka-sasl scram-sha-512')
  if (user === undefined || user === '')
    throw new ConfigError(`--kafka-sasl ${mechanism} needs a user`, 'pass --kafka-user <name> (or RDG_KAFKA_USER)')
  if (password === undefined || password === '')
    throw new ConfigError(
      `--kafka-sasl ${mechanism} needs the password of user "${user}"`,
      'put it in a file and pass --kafka-password-file <file>, or set RDG_KAFKA_PASSWORD',
    )
  return { mechanism: mechanism as SaslMechanism, user, password }
}

/** A file's text, or a ConfigError that says why it cannot be read. */
export function readTextFile(readFile: (path: string) => Buffer | string, path: string, flag: string): string {
  try {
    return String(readFile(path))
  } catch (err) {
    const code = (err as { code?: string }).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (code ?? (err as Error).message)
    throw new ConfigError(`${flag} ${path} cannot be read (${why})`, `check ${flag}`)
  }
}

function readPem(readFile: (path: string) => Buffer | string, path: string, flag: string): string {
  const text = readTextFile(readFile, path, flag)
  if (!text.includes('-----BEGIN '))
    throw new ConfigError(
      `${flag} ${path} is not a PEM file`,
      'convert it, e.g. openssl pkcs12 -in x.p12 -nodes, or keytool -exportcert -rfc',
    )
  return text
}

/** The `-----BEGIN <label>-----` blocks of a PEM text. */
function pemBlocks(pem: string, label: string): string[] {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g')
  return pem.match(re)?.map((b) => `${b}\n`) ?? []
}

function parseCertificate(pem: string, path: string, flag: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch (err) {
    throw new ConfigError(`${flag} ${path} holds a certificate that cannot be parsed (${(err as Error).message})`, 'pass a PEM certificate')
  }
}

function parseKey(pem: string, path: string, passphrase: string | undefined): KeyObject {
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)
  if (encrypted && passphrase === undefined)
    throw new ConfigError(
      `--kafka-key ${path} is encrypted`,
      'put its passphrase in a file and pass --kafka-key-passphrase-file <file>, or set RDG_KAFKA_KEY_PASSPHRASE',
    )
  try {
    return createPrivateKey({ key: pem, ...(passphrase !== undefined ? { passphrase } : {}) })
  } catch {
    // the crypto error says nothing a user can act on (and must not echo the passphrase)
    throw new ConfigError(
      `--kafka-key ${path} cannot be read as a private key${encrypted ? ' (wrong passphrase?)' : ''}`,
      encrypted ? 'check the key passphrase' : 'pass the PEM private key (-----BEGIN PRIVATE KEY-----) of --kafka-cert',
    )
  }
}
