/**
 * `rdg-job list`: the jobs, their topics, and the node and edge types each produces.
 */
import type { CommandModule } from 'yargs'
import { builtInJobs } from '../../jobs/registry.ts'

export const listCommand: CommandModule = {
  command: 'list',
  describe: 'List the jobs, their topics and the node and edge types each produces',
  handler: () => {
    for (const job of builtInJobs.values()) {
      console.log(`${job.topic}${job.description ? ` — ${job.description}` : ''}`)
      console.log(`  nodes: ${Object.keys(job.graph.nodes).join(', ')}`)
      console.log(
        `  edges: ${Object.entries(job.graph.edges)
          .map(([n, e]) => `${n} (${e.from} → ${e.to}${e.direction === 'both' ? ', both ways' : ''})`)
          .join(', ')}`,
      )
    }
  },
}
