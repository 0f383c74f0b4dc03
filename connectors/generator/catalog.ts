/**
 * Reads the title and game catalogue files (data/catalog/) into what the generator needs.
 *
 * @example
 * const catalog = loadCatalog('data/catalog')
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../../base/errors.ts'
import type { Catalog } from './journeys.ts'

export function loadCatalog(dir: string): Catalog {
  let titles: Array<{ titleId: string }>
  let games: Array<{ gameId: string; titleId: string | null }>
  try {
    titles = JSON.parse(readFileSync(join(dir, 'titles.json'), 'utf8')) as typeof titles
    games = JSON.parse(readFileSync(join(dir, 'games.json'), 'utf8')) as typeof games
  } catch (err) {
    throw new ConfigError(
      `cannot read the catalogue in ${dir}: ${(err as Error).message}`,
      'run from the project directory or pass --catalog <dir>',
    )
  }
  const gameOfTitle = new Map<string, string>()
  for (const g of games) if (g.titleId) gameOfTitle.set(g.titleId, g.gameId)
  return { titles: titles.map((t) => t.titleId), gameOfTitle, standaloneGames: games.filter((g) => !g.titleId).map((g) => g.gameId) }
}
