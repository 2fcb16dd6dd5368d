// The design a run certifies (--design FILE), against the seed: every value that differs is one check,
// passing as information when the design lists it under `deviations`, failing when it does not.
import { showDeviation, type Design } from '../config/design.ts';
import type { ConformanceCheck, ConformanceGroupName } from './types.ts';

/** One check per value where `design` differs from the seed; none for the seed itself. */
export function designDeviationChecks(design: Design, group: ConformanceGroupName): ConformanceCheck[] {
  return design.deviations.map((d) => ({
    name: `design.${d.field}`,
    group,
    valid: d.intended,
    expected: d.intended ? `${showDeviation(d)}, listed under deviations` : `the seed's value, or ${d.field} listed under deviations`,
    observed: `${showDeviation(d)}${d.intended ? '' : ', not listed under deviations'}`,
    file: design.file,
    object: `design/${design.name}`,
    field: d.field,
    explanation: d.intended
      ? `Information: deviates from the seed: ${showDeviation(d)}, an intended deviation of design ${design.name}; the deployment is held to the design's value.`
      : `Deviates from the seed: ${showDeviation(d)}, but design ${design.name} does not list it as intended; add "${d.field}" to its deviations, or restore the seed's value.`,
  }));
}
