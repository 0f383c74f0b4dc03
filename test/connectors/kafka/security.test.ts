/**
 * Kafka TLS/SASL settings without a broker: PEM files made by openssl once, every user
 * mistake a one-line ConfigError that names the flag, and the secrets never in a message,
 * a JSON dump or util.inspect. Connection failures (as kafkajs reports them) are named
 * for what they are by connectError.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../base/errors.ts'
import { connectError } from '../../../connectors/kafka/client.ts'
import { PLAINTEXT, resolveKafkaSecurity, type KafkaSecuritySettings } from '../../../connectors/kafka/security.ts'
import { kafkaSecurityFromFlags } from '../../../cli/kafka-flags.ts'
import { sourceFromFlags } from '../../../cli/job-io.ts'
import { makeTlsMaterial, type TlsMaterial } from '../../infra/kafka-tls.ts'

const SECRET = 'pw-Zq81-unit-secret'
const PASSPHRASE = 'pp-Kx55-unit-passphrase'
const dir = mkdtempSync(join(tmpdir(), 'rdg-kafka-security-'))
let tls: TlsMaterial
let encryptedKey: string

beforeAll(() => {
  tls = makeTlsMaterial(join(dir, 'tls'))
  encryptedKey = join(dir, 'client-encrypted.key')
  execFileSync('openssl', ['pkcs8', '-topk8', '-in', tls.clientKey, '-passout', `pass:${PASSPHRASE}`, '-out', encryptedKey])
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The ConfigError `fn` throws (fails the test when it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const e = err as ConfigError
    expect(e.message).not.toContain('\n')
    expect(e.message).not.toContain(SECRET)
    expect(e.message).not.toContain(PASSPHRASE)
    return e
  }
  throw new Error('expected a ConfigError')
}

const resolve = (s: KafkaSecuritySettings) => resolveKafkaSecurity(s)

describe('resolveKafkaSecurity', () => {
  it('is plaintext when nothing is given', () => {
    expect(resolve({})).toBe(PLAINTEXT)
    expect(PLAINTEXT.kafkajs()).toEqual({})
    expect(PLAINTEXT.describe()).toBe('plaintext')
  })

  it('turns a CA, a client certificate and its key into kafkajs ssl options', () => {
    const s = resolve({ ca: tls.ca, cert: tls.clientCert, key: tls.clientKey })
    const { ssl, sasl } = s.kafkajs() as { ssl: { ca: string[]; cert: string; key: string }; sasl?: unknown }
    expect(sasl).toBeUndefined()
    expect(ssl.ca).toHaveLength(1)
    expect(ssl.ca[0]).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(ssl.cert).toContain('BEGIN CERTIFICATE')
    expect(ssl.key).toContain('BEGIN PRIVATE KEY')
    expect(s.describe()).toBe(`TLS (CA ${tls.ca}, client certificate ${tls.clientCert})`)
  })

  it('uses the system CAs for --kafka-tls alone', () => {
    expect(resolve({ tls: true }).kafkajs()).toEqual({ ssl: true })
  })

  it('reads an encrypted key with its passphrase', () => {
    const s = resolve({ cert: tls.clientCert, key: encryptedKey, keyPassphrase: PASSPHRASE })
    expect((s.kafkajs().ssl as { passphrase: string }).passphrase).toBe(PASSPHRASE)
    expect(inspect(s)).not.toContain(PASSPHRASE)
    expect(JSON.stringify({ s })).not.toContain(PASSPHRASE)
  })

  it.each(['plain', 'scram-sha-256', 'scram-sha-512', 'SCRAM-SHA-512'])(
    'takes SASL %s with a user and a password, and never shows the password',
    (m) => {
      const s = resolve({ ca: tls.ca, sasl: m, user: 'rdg', password: SECRET })
      expect(s.kafkajs().sasl).toEqual({ mechanism: m.toLowerCase(), username: 'rdg', password: SECRET })
      expect(s.describe()).toBe(`TLS (CA ${tls.ca}) + SASL ${m.toUpperCase()} as "rdg"`)
      const options = { brokers: 'x:1', security: s }
      for (const shown of [inspect(options, { depth: 10, showHidden: true }), JSON.stringify(options), String(s), `${s}`])
        expect(shown).not.toContain(SECRET)
    },
  )

  it('allows SASL without TLS (SASL_PLAINTEXT listeners)', () => {
    const s = resolve({ sasl: 'scram-sha-256', user: 'rdg', password: SECRET })
    expect(s.kafkajs().ssl).toBeUndefined()
    expect(s.tls).toBe(false)
  })

  it.each<[string, () => KafkaSecuritySettings, RegExp]>([
    [
      'a missing CA file',
      () => ({ ca: join(dir, 'nope.pem') }),
      /--kafka-ca .*nope\.pem cannot be read \(no such file\); check --kafka-ca/,
    ],
    ['a CA that is a directory', () => ({ ca: dir }), /--kafka-ca .* cannot be read \(a directory\)/],
    ['a CA that is no PEM', () => ({ ca: notPem() }), /--kafka-ca .* is not a PEM file/],
    ['a CA PEM without a certificate', () => ({ ca: tls.clientKey }), /--kafka-ca .* holds no PEM certificate/],
    ['a certificate without its key', () => ({ cert: tls.clientCert }), /--kafka-cert needs its private key; pass --kafka-key/],
    ['a key without its certificate', () => ({ key: tls.clientKey }), /--kafka-key needs its certificate/],
    [
      'an unreadable key',
      () => ({ cert: tls.clientCert, key: join(dir, 'gone.key') }),
      /--kafka-key .*gone\.key cannot be read \(no such file\)/,
    ],
    [
      'a key of another certificate',
      () => ({ cert: tls.clientCert, key: join(tls.dir, 'other-ca.key') }),
      /is not the private key of --kafka-cert/,
    ],
    [
      'an encrypted key without passphrase',
      () => ({ cert: tls.clientCert, key: encryptedKey }),
      /is encrypted; .*--kafka-key-passphrase-file .*RDG_KAFKA_KEY_PASSPHRASE/,
    ],
    [
      'a wrong passphrase',
      () => ({ cert: tls.clientCert, key: encryptedKey, keyPassphrase: `${PASSPHRASE}x` }),
      /cannot be read as a private key \(wrong passphrase\?\)/,
    ],
    ['TLS off with a CA', () => ({ tls: false, ca: tls.ca }), /--kafka-tls is off but/],
    ['SASL without a user', () => ({ sasl: 'plain', password: SECRET }), /--kafka-sasl plain needs a user; pass --kafka-user/],
    [
      'SASL without a password',
      () => ({ sasl: 'scram-sha-256', user: 'rdg' }),
      /needs the password of user "rdg"; .*--kafka-password-file .*RDG_KAFKA_PASSWORD/,
    ],
    ['a user without SASL', () => ({ user: 'rdg' }), /--kafka-user given without --kafka-sasl/],
    ['a password without SASL', () => ({ password: SECRET }), /a Kafka password is set but no --kafka-sasl/],
    [
      'an unknown mechanism',
      () => ({ sasl: 'gssapi', user: 'u', password: SECRET }),
      /--kafka-sasl gssapi is not one of plain, scram-sha-256, scram-sha-512/,
    ],
  ])('refuses %s in one line', (_, settings, message) => {
    expect(configError(() => resolve(settings())).message).toMatch(message)
  })

  it('refuses an expired client certificate', () => {
    const e = configError(() => resolveKafkaSecurity({ cert: tls.clientCert, key: tls.clientKey }, { now: Date.now() + 10 * 86_400_000 }))
    expect(e.message).toMatch(/client certificate .* expired on \d{4}-/)
  })
})

function notPem(): string {
  const path = join(dir, 'not.pem')
  writeFileSync(path, 'hello')
  return path
}

describe('kafkaSecurityFromFlags', () => {
  const flags = { 'kafka-ca': '', 'kafka-sasl': 'scram-sha-512', 'kafka-user': 'rdg' }
  const withCa = () => ({ ...flags, 'kafka-ca': tls.ca })

  it('takes the password from RDG_KAFKA_PASSWORD (yargs hands it over as kafka-password)', () => {
    const s = kafkaSecurityFromFlags({ ...withCa(), 'kafka-password': SECRET }, { RDG_KAFKA_PASSWORD: SECRET })
    expect(s.kafkajs().sasl).toMatchObject({ password: SECRET })
  })

  it('takes the password from --kafka-password-file, without its trailing newline', () => {
    const file = join(dir, 'password')
    writeFileSync(file, `${SECRET}\n`)
    const s = kafkaSecurityFromFlags({ ...withCa(), 'kafka-password-file': file }, {})
    expect(s.kafkajs().sasl).toMatchObject({ password: SECRET })
  })

  it('refuses a password given as a flag or config key, without echoing it', () => {
    const e = configError(() => kafkaSecurityFromFlags({ ...withCa(), 'kafka-password': SECRET }, {}))
    expect(e.message).toMatch(
      /not taken from --kafka-password or the config file .*--kafka-password-file <file>, or set RDG_KAFKA_PASSWORD/,
    )
  })

  it('refuses a password from both a file and the environment', () => {
    const file = join(dir, 'password2')
    writeFileSync(file, SECRET)
    const e = configError(() =>
      kafkaSecurityFromFlags({ ...withCa(), 'kafka-password-file': file, 'kafka-password': SECRET }, { RDG_KAFKA_PASSWORD: SECRET }),
    )
    expect(e.message).toMatch(/given twice/)
  })

  it('names a missing or empty password file', () => {
    expect(configError(() => kafkaSecurityFromFlags({ ...withCa(), 'kafka-password-file': join(dir, 'none') }, {})).message).toMatch(
      /--kafka-password-file .*none cannot be read \(no such file\)/,
    )
    const empty = join(dir, 'empty')
    writeFileSync(empty, '\n')
    expect(configError(() => kafkaSecurityFromFlags({ ...withCa(), 'kafka-password-file': empty }, {})).message).toMatch(/is empty/)
  })

  it('reads a key passphrase from RDG_KAFKA_KEY_PASSPHRASE', () => {
    const s = kafkaSecurityFromFlags(
      { 'kafka-cert': tls.clientCert, 'kafka-key': encryptedKey, 'kafka-key-passphrase': PASSPHRASE },
      { RDG_KAFKA_KEY_PASSPHRASE: PASSPHRASE },
    )
    expect(s.tls).toBe(true)
  })

  it('is for Kafka only in run', () => {
    expect(configError(() => sourceFromFlags({ source: 'generator', 'kafka-sasl': 'plain' })).message).toMatch(
      /--kafka-sasl only applies to Kafka/,
    )
    // an exported secret variable alone does not make a generator run fail
    process.env.RDG_KAFKA_PASSWORD = SECRET
    try {
      expect(sourceFromFlags({ source: 'generator', 'kafka-password': SECRET }).kind).toBe('generator')
    } finally {
      delete process.env.RDG_KAFKA_PASSWORD
    }
    expect(configError(() => sourceFromFlags({ source: 'generator', 'kafka-password': SECRET })).message).toMatch(
      /--kafka-password only applies to Kafka/,
    )
    const choice = sourceFromFlags({ brokers: '127.0.0.1:9093', 'kafka-ca': tls.ca })
    expect(choice.kind === 'kafka' && choice.security?.describe()).toBe(`TLS (CA ${tls.ca})`)
  })
})

describe('connectError', () => {
  const brokers = ['127.0.0.1:9093']
  const sasl = resolveKafkaSecurity({ tls: true, sasl: 'scram-sha-256', user: 'rdg', password: SECRET })
  const mtls = resolveKafkaSecurity({ tls: true })
  const wrapped = (inner: object) => Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError', originalError: inner })

  it('names a refused login and what to check', () => {
    const err = Object.assign(
      new Error('SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials'),
      {
        name: 'KafkaJSSASLAuthenticationError',
      },
    )
    const e = connectError(err, brokers, sasl)
    expect(e.message).toMatch(
      /^Kafka at 127\.0\.0\.1:9093 refused the SASL SCRAM-SHA-256 login of user "rdg" \(SASL SCRAM SHA256 authentication failed/,
    )
    expect(e.message).toContain('check --kafka-user, the password (--kafka-password-file or RDG_KAFKA_PASSWORD)')
    expect(e.message).not.toContain(SECRET)
  })

  it('names an untrusted broker certificate', () => {
    const e = connectError(
      wrapped(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })),
      brokers,
      mtls,
    )
    expect(e.message).toMatch(/not signed by a trusted CA .*--kafka-ca/)
  })

  it('names a certificate for another host', () => {
    const e = connectError(
      wrapped(Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' })),
      brokers,
      mtls,
    )
    expect(e.message).toMatch(/is not for that host/)
  })

  it('suggests TLS or SASL when a plaintext client is dropped', () => {
    expect(connectError(new Error('Connection closed'), brokers, PLAINTEXT).message).toMatch(/if the listener needs TLS or SASL/)
    expect(connectError(new Error('connect ECONNREFUSED 127.0.0.1:9093'), brokers, PLAINTEXT).message).toMatch(
      /^cannot reach Kafka at 127\.0\.0\.1:9093 \(connect ECONNREFUSED/,
    )
  })
})
