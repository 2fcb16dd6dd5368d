// replica-pause: SIGSTOP a replica's redis for a while, then SIGCONT; the master keeps its role and every write.
import { durationField } from '../model/duration.ts';
import { defineFault } from './define.ts';
import { pauseRedis, planPause } from './pause.ts';

export const replicaPauseFault = defineFault({
  /** SIGSTOP the first replica's redis for durationMs, then SIGCONT. */
  kind: 'replica-pause',
  fields: {
    durationMs: durationField(600_000),
  },
  needs: ['pause'],
  inject: (ctx, spec) => pauseRedis(ctx, { target: 'replica', durationMs: spec.durationMs }),
  plan: (spec) => planPause('replica', spec.durationMs),
});
