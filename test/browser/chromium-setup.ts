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
import { ensureDebianPackage } from '../infra/debian-package.ts'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: string
  }
}

const CHROMIUM = process.env.RDG_CHROMIUM ?? '/usr/bin/chromium'

export default function setup(project: TestProject): void {
  ensureDebianPackage(CHROMIUM, 'chromium')
  project.provide('chromium', CHROMIUM)
}
