// Lint: typescript-eslint's strict type-checked rules (no-floating-promises above all:
// an un-awaited promise on the hot path or in a checkpoint is a lost error), plus the
// project's own limits. Formatting is Prettier's (`npm run format`), not ESLint's.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', '.rdg/', '.servers/', '.venv/', 'coverage/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Columnar batches are read as `values[i]!` inside bounds the loop already checks
      // (noUncheckedIndexedAccess is on); a guard per element would cost the hot path.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Interfaces such as Source and Sink return promises; many implementations have nothing to await.
      '@typescript-eslint/require-await': 'off',
      // Type parameters erased where a job meets the engine (JobDefinition<any>, SideInputSpec<any>,
      // StateDescriptor<any, any>): \`unknown\` would reject every concrete job through parameter
      // variance. Values of type any are still caught by the no-unsafe-* rules.
      '@typescript-eslint/no-explicit-any': 'off',
      // Records come from Avro, JSON and user modules: checks the types call unnecessary are
      // the ones that catch a malformed value at run time.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // A type parameter used once still lets a caller's lambda be typed (filter<T>(id, (v: T) => …)).
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier wraps code at 140; what it cannot wrap (long messages) may run to 200.
      'max-len': ['error', { code: 200, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      // The RocksDB binding ships no types: the package entry points reference our declarations
      // by path so that a job author's tsc sees them too.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
    },
  },
  {
    // Tests and benchmarks drive untyped matchers, child processes and fixtures; the
    // promise rules (no-floating-promises, no-misused-promises) stay on there too.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
)
