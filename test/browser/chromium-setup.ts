/**
 * Vitest global setup of the `browser` project: makes sure Debian's `chromium` is
 * installed (apt-get, as root, when /usr/bin/chromium is missing: a fresh machine or CI)
 * and hands its path to the tests. puppeteer-core drives it; its own browser download is
 * never used.
 *
 * @example
 * // in a test of test/browser/
 * const executablePath = inject('chromium')
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: string
  }
}

const CHROMIUM = process.env.RDG_CHROMIUM ?? '/usr/bin/chromium'

export default function setup(project: TestProject): void {
  if (!existsSync(CHROMIUM)) {
    if (process.getuid?.() !== 0)
      throw new Error(`${CHROMIUM} is missing and this is not root: run apt-get install -y chromium as root (or set RDG_CHROMIUM)`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env })
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env })
    if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`)
  }
  project.provide('chromium', CHROMIUM)
}
