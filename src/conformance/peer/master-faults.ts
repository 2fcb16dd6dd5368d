// The master faults the peer units inject (also listed in PEER_STEPS for --dry-run).
import type { FaultSpec } from '../../faults/index.ts';

export const KILL_MASTER: FaultSpec = { kind: 'kill-pod', target: 'master', holdMs: 0 };
/** Held until every sentinel flags s_down, at most 3 × down-after + 10 s (the unit's bound). */
export const PAUSE_MASTER: FaultSpec = { kind: 'pause', target: 'master', durationMs: '3x+10000' };
