/**
 * Type-checks a job module with the TypeScript compiler API (tsx, which runs jobs, only
 * strips types). The options are the repository's tsconfig.json (same strictness), with
 * bundler-style module resolution so a module anywhere on disk is an ES module, and
 * `paths` mapping `rdg` to this repository's index.ts and `rdg/<sub>` to `<sub>/index.ts`.
 * Only problems in the job module itself (and in the user's own files it imports, outside
 * this repository) are reported; the library's own files are tsc's business.
 *
 * `locate` turns a semantic problem (graph/job-lint.ts) into a position in the module:
 * the offending property of the definition, or the name or literal it is about.
 *
 * @example
 * const result = await typeCheckJobModule('/tmp/my-job.ts')
 * for (const d of result.diagnostics) console.log(`${d.file}:${d.line}:${d.col} ${d.message}`)
 * result.locate({ field: 'eventTime', message: '...', token: 'tss' }) // { line: 8, col: 14 }
 */
import { join, relative, resolve, sep } from 'node:path'
import type * as TS from 'typescript'
import { ConfigError } from '../base/errors.ts'
import type { JobProblem } from '../graph/job-validation.ts'
import { PACKAGE_ROOT } from './job-io.ts'

export interface SourceDiagnostic {
  /** Absolute path of the file. */
  readonly file: string
  /** 1-based. */
  readonly line: number
  /** 1-based. */
  readonly col: number
  readonly message: string
}

export interface TypeCheckResult {
  readonly diagnostics: readonly SourceDiagnostic[]
  /** The module does not even parse (then loading it is pointless). */
  readonly syntaxErrors: boolean
  /** Time the check took, loading the compiler included. */
  readonly ms: number
  /** Where in the module a semantic problem is; 1:1 when it cannot be found. */
  locate(problem: JobProblem): { line: number; col: number }
}

type Ts = typeof TS

async function loadTypeScript(): Promise<Ts> {
  try {
    const mod = (await import('typescript')) as unknown as { default?: Ts }
    return mod.default ?? (mod as unknown as Ts)
  } catch {
    throw new ConfigError('rdg-job check needs the typescript package', 'npm install typescript')
  }
}

/**
 * The compiler options: tsconfig.json's, made to check one module wherever it is; and the
 * project's own declaration files (ambient `declare module`s the library's types rely on).
 */
export function checkConfig(ts: Ts, root = PACKAGE_ROOT): { options: TS.CompilerOptions; declarations: string[] } {
  const configPath = join(root, 'tsconfig.json')
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path))
  const base = read.error
    ? { options: { strict: true } as TS.CompilerOptions, fileNames: [] }
    : ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath)
  const options: TS.CompilerOptions = {
    ...base.options,
    // NodeNext would make a module outside a "type": "module" package CommonJS, where
    // verbatimModuleSyntax forbids `import`; tsx runs such a module either way
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    paths: { rdg: [join(root, 'index.ts')], 'rdg/*': [join(root, '*', 'index.ts'), join(root, '*.ts')] },
  }
  return { options, declarations: base.fileNames.filter((f) => f.endsWith('.d.ts')) }
}

export async function typeCheckJobModule(modulePath: string, root = PACKAGE_ROOT): Promise<TypeCheckResult> {
  const started = performance.now()
  const ts = await loadTypeScript()
  const file = resolve(modulePath)
  const { options, declarations } = checkConfig(ts, root)
  const program = ts.createProgram({ rootNames: [file, ...declarations], options })
  const own = (f: TS.SourceFile): boolean => {
    const name = resolve(f.fileName)
    if (name === file) return true
    return !f.isDeclarationFile && !name.includes(`${sep}node_modules${sep}`) && relative(root, name).startsWith('..')
  }
  const files = program.getSourceFiles().filter(own)
  const syntactic = files.flatMap((f) => program.getSyntacticDiagnostics(f))
  const all: TS.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...syntactic]
  if (syntactic.length === 0) for (const f of files) all.push(...program.getSemanticDiagnostics(f))
  const diagnostics = all
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d): SourceDiagnostic => {
      const message = `${flatten(d.messageText)} (TS${d.code})`
      if (!d.file || d.start === undefined) return { file, line: 1, col: 1, message }
      const at = d.file.getLineAndCharacterOfPosition(d.start)
      return { file: resolve(d.file.fileName), line: at.line + 1, col: at.character + 1, message }
    })
  const source = program.getSourceFile(file)
  return {
    diagnostics,
    syntaxErrors: syntactic.some((d) => resolve(d.file.fileName) === file),
    ms: performance.now() - started,
    locate: (problem) => (source ? locateIn(ts, source, problem) : { line: 1, col: 1 }),
  }
}

/** One line: the message, and the innermost reason when it is a chain ("No overload matches this call. Type ..."). */
function flatten(m: string | TS.DiagnosticMessageChain): string {
  if (typeof m === 'string') return m.replace(/\s*\n\s*/g, ' ')
  let leaf = m
  while (leaf.next?.[0]) leaf = leaf.next[0]
  return (leaf === m ? m.messageText : `${m.messageText} ${leaf.messageText}`).replace(/\s*\n\s*/g, ' ')
}

function locateIn(ts: Ts, sf: TS.SourceFile, problem: JobProblem): { line: number; col: number } {
  const at = (node: TS.Node) => {
    const p = sf.getLineAndCharacterOfPosition(node.getStart(sf))
    return { line: p.line + 1, col: p.character + 1 }
  }
  const nameOf = (n: TS.Node): string | undefined => {
    if (
      (ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n) || ts.isMethodDeclaration(n)) &&
      (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name))
    )
      return n.name.text
    return undefined
  }
  const find = (root: TS.Node, test: (n: TS.Node) => boolean): TS.Node | undefined => {
    let found: TS.Node | undefined
    const visit = (n: TS.Node): void => {
      if (found) return
      if (test(n)) found = n
      else ts.forEachChild(n, visit)
    }
    ts.forEachChild(root, visit)
    return found
  }
  const declarationOf = (name: string): TS.Node | undefined =>
    find(
      sf,
      (n) => (ts.isVariableDeclaration(n) || ts.isFunctionDeclaration(n)) && !!n.name && ts.isIdentifier(n.name) && n.name.text === name,
    )
  const isToken = (token: string) => (n: TS.Node) =>
    (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && n.text === token

  // the definition: `export default defineJob({...})`, or the object it names
  let definition: TS.Node = sf
  const exported = find(sf, (n) => ts.isExportAssignment(n))
  if (exported && ts.isExportAssignment(exported)) {
    let e: TS.Expression = exported.expression
    if (ts.isIdentifier(e)) {
      const d = declarationOf(e.text)
      if (d && ts.isVariableDeclaration(d) && d.initializer) e = d.initializer
    }
    const object = ts.isObjectLiteralExpression(e) ? e : find(e, (n) => ts.isObjectLiteralExpression(n))
    if (object) definition = object
  }
  // the property: `eventTime:`, `dedup: { windowMs: }` (else anywhere in the file)
  let property: TS.Node | undefined
  if (problem.field !== '') {
    let scope: TS.Node = definition
    for (const segment of problem.field.split('.')) {
      const next = find(scope, (n) => nameOf(n) === segment) ?? (scope === definition ? find(sf, (n) => nameOf(n) === segment) : undefined)
      if (!next) break
      property = scope = next
    }
  }
  if (problem.token !== undefined) {
    const token = problem.token
    if (property) {
      const inside = find(property, isToken(token))
      if (inside) return at(inside)
      // `graph: playbackGraph`, `toGraph: build`: look where the name is declared
      const value = ts.isPropertyAssignment(property)
        ? property.initializer
        : ts.isShorthandPropertyAssignment(property)
          ? property.name
          : undefined
      const declared = value && ts.isIdentifier(value) ? declarationOf(value.text) : undefined
      const there = declared && find(declared, isToken(token))
      if (there) return at(there)
    }
    const anywhere = find(sf, (n) => isToken(token)(n) && !ts.isImportSpecifier(n.parent))
    if (anywhere) return at(anywhere)
  }
  return property ? at(property) : { line: 1, col: 1 }
}
