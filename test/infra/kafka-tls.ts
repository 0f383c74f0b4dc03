/**
 * TLS material and listener settings for a test broker with SSL (client certificate
 * required) and SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) listeners: a CA, a broker
 * certificate for 127.0.0.1 signed by it, a client certificate signed by it, and a second,
 * unrelated CA for "wrong CA" tests. Keys and certificates are made with openssl; the
 * broker's keystore is PKCS12 (openssl) and its truststore PKCS12 made by the JDK's keytool
 * (Java only trusts certificates in a PKCS12 store that keytool marked as trusted).
 *
 * @example
 * const tls = makeTlsMaterial(dir)
 * startKafka({ secure: { material: tls, users: [{ name: 'rdg', password: 'pw' }] } })
 */
import { execFileSync } from 'node:child_process'
import { ensureDebianPackage } from './debian-package.ts'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TlsMaterial {
  readonly dir: string
  /** PEM: the CA that signed the broker's and the client's certificates. */
  readonly ca: string
  /** PEM: the client's certificate and its unencrypted PKCS#8 key. */
  readonly clientCert: string
  readonly clientKey: string
  /** PEM: a CA that signed nothing here. */
  readonly otherCa: string
  readonly keystore: string
  readonly truststore: string
  readonly storePassword: string
}

export interface SaslUser {
  readonly name: string
  readonly password: string
}

const openssl = (dir: string, args: string[]): void => {
  ensureDebianPackage('/usr/bin/openssl', 'openssl')
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** A key (unencrypted PKCS#8, what `openssl req -nodes` writes) and a certificate signed by ca.pem, with the extensions in `ext`. */
function signedCert(dir: string, name: string, subject: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext)
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`])
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ])
}

export function makeTlsMaterial(dir: string): TlsMaterial {
  mkdirSync(dir, { recursive: true })
  const storePassword = 'test-store-pass'
  const ca = (name: string, cn: string): void =>
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
    ])
  ca('ca', 'rdg test CA')
  ca('other-ca', 'some other CA')
  // the broker is reached as 127.0.0.1: its certificate must name that IP for Node's hostname check
  signedCert(dir, 'broker', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  signedCert(dir, 'client', '/CN=rdg-client', 'extendedKeyUsage=clientAuth\n')
  openssl(dir, [
    'pkcs12',
    '-export',
    '-in',
    'broker.pem',
    '-inkey',
    'broker.key',
    '-certfile',
    'ca.pem',
    '-name',
    'broker',
    '-out',
    'broker.p12',
    '-passout',
    `pass:${storePassword}`,
  ])
  execFileSync(
    'keytool',
    [
      '-importcert',
      '-noprompt',
      '-alias',
      'ca',
      '-file',
      'ca.pem',
      '-keystore',
      'trust.p12',
      '-storetype',
      'PKCS12',
      '-storepass',
      storePassword,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    otherCa: join(dir, 'other-ca.pem'),
    keystore: join(dir, 'broker.p12'),
    truststore: join(dir, 'trust.p12'),
    storePassword,
  }
}

/**
 * server.properties entries for the two extra listeners: SSL on `sslPort` (client
 * certificate required) and SASL_SSL on `saslPort` (no client certificate; PLAIN users in
 * the JAAS line, SCRAM users from `scramFormatArgs` at storage format time).
 */
export function secureListenerProperties(
  tls: TlsMaterial,
  ports: { readonly plain: number; readonly controller: number; readonly ssl: number; readonly sasl: number },
  users: readonly SaslUser[],
): Record<string, string> {
  const plainUsers = users.map((u) => `user_${u.name}="${u.password}"`).join(' ')
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
  return {
    listeners: `PLAINTEXT://127.0.0.1:${ports.plain},CONTROLLER://127.0.0.1:${ports.controller},SSL://127.0.0.1:${ports.ssl},SASL_SSL://127.0.0.1:${ports.sasl}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.plain},SSL://127.0.0.1:${ports.ssl},SASL_SSL://127.0.0.1:${ports.sasl}`,
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': tls.keystore,
    'ssl.keystore.password': tls.storePassword,
    'ssl.key.password': tls.storePassword,
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.location': tls.truststore,
    'ssl.truststore.password': tls.storePassword,
    'listener.name.ssl.ssl.client.auth': 'required',
    'listener.name.sasl_ssl.ssl.client.auth': 'none',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': scram,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scram,
  }
}

/** `StorageTool format` arguments that create the SCRAM credentials of `users` (KRaft keeps them in the metadata log). */
export function scramFormatArgs(users: readonly SaslUser[]): string[] {
  return users.flatMap((u) => [
    '--add-scram',
    `SCRAM-SHA-256=[name=${u.name},password=${u.password}]`,
    '--add-scram',
    `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`,
  ])
}
