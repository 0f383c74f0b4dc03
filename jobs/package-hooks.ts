/**
 * Module resolve hooks for the job modules the CLI loads by path (`rdg-job run
 * ./clicks.ts`), registered by jobs/registry.ts with `module.register`:
 *
 * - `rdg` and `rdg/<subpath>` resolve to this package's own entry files (its package.json
 *   `exports`), wherever the job lives and whether or not rdg is installed next to it, so
 *   the job shares the CLI's engine instead of loading a second copy;
 * - a `.ts` file that tsx would load as CommonJS (no `"type": "module"` above it, e.g. in
 *   /tmp) loads as an ES module, so its imports come through these hooks too (a `.cts`
 *   file stays CommonJS, files under node_modules are left alone).
 *
 * @example
 * register('./package-hooks.ts', { parentURL: import.meta.url, data: { name: 'rdg', root: 'file:///opt/rdg/', exports: { '.': './index.ts' } } })
 * // then, in /tmp/x/clicks.ts: import { defineJob } from 'rdg'   → file:///opt/rdg/index.ts
 */
import type { InitializeHook, ResolveHook } from 'node:module'

export interface PackageHooksData {
  /** The package name, `rdg`. */
  readonly name: string
  /** URL of the package directory, ending in `/`. */
  readonly root: string
  /** package.json `exports`: subpath (`.`, `./store`) → file relative to the package. */
  readonly exports: Readonly<Record<string, string>>
}

let name = ''
let entries = new Map<string, string>()

export const initialize: InitializeHook<PackageHooksData> = (data) => {
  name = data.name
  entries = new Map(Object.entries(data.exports).map(([subpath, target]) => [name + subpath.slice(1), new URL(target, data.root).href]))
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (specifier === name || specifier.startsWith(`${name}/`)) {
    const target = entries.get(specifier)
    if (target === undefined) {
      const err = new Error(`"${specifier}" is not exported by ${name} (it exports ${[...entries.keys()].join(', ')})`)
      throw Object.assign(err, { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
    }
    return nextResolve(target, context)
  }
  const resolved = await nextResolve(specifier, context)
  if (resolved.format !== 'commonjs' || !resolved.url.startsWith('file:')) return resolved
  // tsx marks a CommonJS file's URL with its own query parameters (sometimes encoded into
  // the path); as an ES module the file is just its path
  const file = resolved.url.replace(/(%3F|\?|#).*$/s, '')
  if (!/\.tsx?$/.test(file) || file.includes('/node_modules/')) return resolved
  return { url: file, format: 'module' }
}
