/**
 * `rdg-job describe <topic>`: the compiled operator graph of a job, with stable ids.
 */
import type { CommandModule } from 'yargs'
import { describeJob } from '../../graph/compile-job.ts'
import { resolveJob } from '../../jobs/registry.ts'

export const describeCommand: CommandModule<object, { topic: string }> = {
  command: 'describe <topic>',
  describe: 'Print the compiled operator graph of a job (a topic or a job module path)',
  builder: (y) => y.positional('topic', { type: 'string', demandOption: true, describe: 'topic or path to a job module' }),
  handler: async (args) => {
    const job = await resolveJob(args.topic)
    console.log(`job ${job.topic}: event time "${job.eventTime}", value ${job.value.format}, dedup ${job.dedup?.windowMs ?? 5_000} ms`)
    for (const op of describeJob(job)) {
      console.log(
        `${'  '.repeat(op.depth)}${op.id.padEnd(12)} ${op.kind.padEnd(18)} ${op.description}${op.sideOutput ? ` (side output ${op.sideOutput})` : ''}`,
      )
    }
  },
}
