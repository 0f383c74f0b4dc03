/**
 * Makes sure a program from a Debian package is on the machine before a test uses it:
 * on a fresh machine (CI) it is installed with apt-get, as root; otherwise one line says
 * what to run.
 *
 * @example
 * ensureDebianPackage('/usr/bin/openssl', 'openssl')
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export function ensureDebianPackage(program: string, pkg: string): void {
  if (existsSync(program)) return
  if (process.getuid?.() !== 0) throw new Error(`${program} is missing and this is not root: run apt-get install -y ${pkg} as root`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env })
  if (!existsSync(program)) throw new Error(`apt-get installed ${pkg} but ${program} is still missing`)
}
