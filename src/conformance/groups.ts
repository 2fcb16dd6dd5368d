// The registry of conformance groups: the `conformance` command and the default suite run these, in this order.
// Another group is one entry here: { name, description, needsDeployment, run: (ctx) => Promise<ConformanceCheck[]> }.
import { liveChecks } from './live.ts';
import { peerChecks } from './peer.ts';
import { staticChecks } from './static.ts';
import type { ConformanceCheck, ConformanceGroup, ConformanceGroupName } from './types.ts';

export const CONFORMANCE_GROUPS: ConformanceGroup[] = [
  {
    name: 'static',
    description: 'the manifests against the seed design, with offline Kubernetes schema validation (no cluster)',
    needsDeployment: false,
    run: async (ctx) => staticChecks(ctx.model).map((c): ConformanceCheck => ({ ...c })),
  },
  {
    name: 'live',
    description: "the running deployment: the seed's verification steps, sentinel agreement, CKQUORUM, TILT, every parameter as the processes run it, authentication",
    needsDeployment: true,
    run: liveChecks,
  },
  {
    name: 'peer',
    description: "Sentinel's own behaviour on this deployment, mirroring redis/redis tests/sentinel/tests (failovers, reconfiguration, down conditions)",
    needsDeployment: true,
    run: peerChecks,
  },
];

/** Groups run by the default `run` command before the scenarios (peer is left out: it costs several failovers). */
export const DEFAULT_SUITE_GROUPS: readonly ConformanceGroupName[] = ['static', 'live'];

/** The registered group by name, or undefined. */
export const findGroup = (name: string): ConformanceGroup | undefined => CONFORMANCE_GROUPS.find((g) => g.name === name);
