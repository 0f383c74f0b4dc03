/**
 * The layering rule, checked on the source tree: every import points down (or stays in its
 * own folder), so there is no wrong-way import and no cycle between folders.
 *
 *   base → state → engine → operators → graph → store → connectors → testing → jobs → serving → operating → cli
 *
 * (index.ts, connectors/index.ts and the other package entry points re-export from below.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
export const LAYERS = [
  'base',
  'state',
  'engine',
  'operators',
  'graph',
  'store',
  'connectors',
  'testing',
  'jobs',
  'serving',
  'operating',
  'cli',
] as const

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out
}

/** Relative import specifiers of a module (static imports, re-exports and dynamic imports). */
function importsOf(text: string): string[] {
  const found: string[] = []
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) found.push(m[1]!)
  return found
}

const layerOf = (file: string): string => relative(root, file).split('/')[0]!

describe('layering', () => {
  const files = LAYERS.flatMap((layer) => sourceFiles(join(root, layer)))

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(50)
  })

  it('every import points to its own layer or one below it', () => {
    const wrong: string[] = []
    for (const file of files) {
      const from = layerOf(file)
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const to = layerOf(resolve(dirname(file), spec))
        const rankFrom = LAYERS.indexOf(from as (typeof LAYERS)[number])
        const rankTo = LAYERS.indexOf(to as (typeof LAYERS)[number])
        if (rankTo < 0 || rankTo > rankFrom) wrong.push(`${relative(root, file)} imports ${spec} (${from} → ${to})`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('the check itself catches a wrong-way import', () => {
    expect(
      importsOf(`import type { X } from '../engine/x.ts'\nexport { y } from './y.ts'\nconst m = await import('../cli/main.ts')`),
    ).toEqual(['../engine/x.ts', './y.ts', '../cli/main.ts'])
  })
})
