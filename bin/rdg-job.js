#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so jobs written as .ts modules load as they are.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
