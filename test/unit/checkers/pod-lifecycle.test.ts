import { describe, expect, it } from 'vitest';
import { podLifecycleFigures } from '../../../src/checkers/pod-lifecycle.ts';
import type { TrialEvent } from '../../../src/model/events.ts';

const ms = 1e6;
const pod = (t: number, source: string, type: string): TrialEvent => ({ ns: t * ms, kind: 'pod', source, type, detail: `${source}: x` });

describe('podLifecycleFigures', () => {
  it('deleted, rescheduled and ready again of the victim, in ms from the fault', () => {
    const events: TrialEvent[] = [
      pod(50, 'redis-0', 'ready'), // before the fault: ignored
      pod(1000, 'redis-0', 'pod-terminating'),
      pod(1010, 'redis-1', 'pod-deleted'), // another pod
      pod(1040, 'redis-0', 'pod-deleted'),
      { ns: 1045 * ms, kind: 'sentinel', source: 'redis-1/sentinel', type: '+sdown', detail: '' },
      pod(1100, 'redis-0', 'pod-created'),
      pod(1300, 'redis-0', 'pod-scheduled'),
      pod(9000, 'redis-0', 'ready'),
      pod(9500, 'redis-0', 'ready'),
    ];
    expect(podLifecycleFigures(events, 'redis-0', 1000 * ms)).toEqual({ pod_deleted_ms: 40, pod_rescheduled_ms: 300, pod_ready_ms: 8000 });
  });

  it('nothing when the target has no pod events; a "ready" without going down first is no readiness time', () => {
    expect(podLifecycleFigures([], 'redis-0', 0)).toEqual({});
    expect(podLifecycleFigures([pod(5, 'redis-0', 'ready')], 'redis-0', 0)).toEqual({});
    expect(podLifecycleFigures([pod(5, 'redis-0', 'not-ready'), pod(9, 'redis-0', 'ready')], 'redis-0', 0)).toEqual({ pod_ready_ms: 9 });
  });
});
