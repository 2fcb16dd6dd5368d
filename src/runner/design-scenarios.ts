// A design's SLO and accepted losses applied to scenarios (run --design FILE). The seed design changes nothing.
import type { Design } from '../config/design.ts';
import type { Scenario } from './scenario.ts';

const min = (a: number | undefined, b: number | null): number | undefined => (b === null ? a : a === undefined ? undefined : Math.min(a, b));
const sameBand = (a: readonly number[], b: readonly number[]) => a[0] === b[0] && a[1] === b[1];

/**
 * The scenario held to `design`:
 * - a failover bound or band equal to the seed design's follows the design (a scenario with its own bound,
 *   e.g. rolling-upgrade's 60 s, keeps it);
 * - accepted losses are ceilings per profile: maxLostWrites and an explicit maxLostFromOldMaster become at
 *   most the design's (a scenario may promise less than the design, never more).
 */
export function scenarioUnderDesign(s: Scenario, design: Design, seed: Design): Scenario {
  const e = s.expect;
  const seedLoss = design.acceptedLosses.seed;
  const expect = {
    ...e,
    failoverMs: e.failoverMs === seed.slo.failoverMs ? design.slo.failoverMs : e.failoverMs,
    failoverBandMs: sameBand(e.failoverBandMs, seed.slo.failoverBandMs) ? ([...design.slo.failoverBandMs] as [number, number]) : e.failoverBandMs,
    maxLostWrites: Math.min(e.maxLostWrites, seedLoss.writesLostMax),
    ...(e.maxLostFromOldMaster !== undefined ? { maxLostFromOldMaster: min(e.maxLostFromOldMaster, seedLoss.oldMasterMax) } : {}),
  };
  const hardened = s.profiles?.hardened?.expect;
  const h = design.acceptedLosses.hardened;
  const profiles = s.profiles && {
    ...s.profiles,
    ...(hardened
      ? {
          hardened: {
            expect: {
              ...hardened,
              ...(hardened.maxLostWrites !== undefined ? { maxLostWrites: Math.min(hardened.maxLostWrites, h.writesLostMax) } : {}),
              ...(hardened.maxLostFromOldMaster !== undefined ? { maxLostFromOldMaster: min(hardened.maxLostFromOldMaster, h.oldMasterMax) } : {}),
            },
          },
        }
      : {}),
  };
  return { ...s, expect, ...(profiles ? { profiles } : {}) };
}
