// The registry of conformance groups: the `conformance` command and the default suite run these, in this order.
// Another group is one entry here: { name, description, needsDeployment, needs?, disruptive?, run: (ctx) => Promise<ConformanceCheck[]> }.
import { APP_PATH_STEPS, appPathChecks } from './app-paths.ts';
import { liveChecks } from './live.ts';
import { MONITORING_STEPS, monitoringChecks } from './monitoring.ts';
import { PEER_STEPS, peerChecks } from './peer.ts';
import { securityChecks } from './security.ts';
import { designDeviationChecks } from './design-checks.ts';
import { staticChecks } from './static.ts';
import { designFor, profileChecks, scalingChecks } from './variants.ts';
import { readManifestFiles } from '../config/scale.ts';
import { HarnessError } from '../errors.ts';
import type { ConformanceCheck, ConformanceGroup, ConformanceGroupName } from './types.ts';

export const CONFORMANCE_GROUPS: ConformanceGroup[] = [
  {
    name: 'static',
    description: 'the manifests against the seed design, with offline Kubernetes schema validation (no cluster)',
    needsDeployment: false,
    run: async (ctx) => [
      ...staticChecks(ctx.model, ctx.design?.params ?? designFor(ctx.model)).map((c): ConformanceCheck => ({ ...c })),
      ...(ctx.design ? designDeviationChecks(ctx.design, 'static') : []),
    ],
  },
  {
    name: 'scaling',
    description: 'the seed\'s "scale to 5, quorum 3" rendered from these manifests and held to the scaled design (no cluster)',
    needsDeployment: false,
    run: async (ctx) =>
      scalingChecks(await readManifestFiles(ctx.model.manifestsDir), 5, undefined, ctx.design?.params).map((c): ConformanceCheck => ({ ...c })),
  },
  {
    name: 'profile',
    description:
      'the seed and hardened profiles rendered from these manifests: every seed check still holds, the hardened directives are the intended deviation',
    needsDeployment: false,
    run: async (ctx) => {
      const files = await readManifestFiles(ctx.model.manifestsDir);
      const certified = ctx.design?.params;
      return [...profileChecks(files, 'seed', undefined, certified), ...profileChecks(files, 'hardened', undefined, certified)].map((c): ConformanceCheck => ({
        ...c,
      }));
    },
  },
  {
    name: 'live',
    description:
      "the running deployment: the seed's verification steps, sentinel agreement, CKQUORUM, TILT, every parameter as the processes run it, authentication",
    needsDeployment: true,
    run: liveChecks,
  },
  {
    name: 'app-paths',
    description:
      "the seed's applications' paths: new connections through the redis Service reach the master; Synapse, LiveKit and Django through the Service and Sentinel-aware clients keep writing across a master kill",
    needsDeployment: true,
    needs: ['services'],
    disruptive: APP_PATH_STEPS,
    run: async (ctx) => {
      if (!ctx.deployment) throw new HarnessError('INTERNAL', 'the app-paths conformance group needs a running deployment');
      return (await appPathChecks(ctx.deployment, ctx.log ? { log: ctx.log } : {})).map((c): ConformanceCheck => ({ ...c }));
    },
  },
  {
    name: 'monitoring',
    description:
      'the exporter sidecars (--monitoring) scraped by a Prometheus on loopback with monitoring/alerts.yaml: no alert in steady state; across a master kill the expected alerts fire and clear within bounds',
    needsDeployment: true,
    needs: [],
    disruptive: MONITORING_STEPS,
    run: async (ctx) => {
      if (!ctx.deployment) throw new HarnessError('INTERNAL', 'the monitoring conformance group needs a running deployment');
      const options = { ...(ctx.log ? { log: ctx.log } : {}), ...(ctx.alertRules ? { rulesFile: ctx.alertRules } : {}) };
      return (await monitoringChecks(ctx.deployment, options)).map((c): ConformanceCheck => ({ ...c }));
    },
  },
  {
    name: 'security',
    description:
      'the secure profile (--profile secure): TLS, ACL users, Secrets and NetworkPolicy in the manifests; live, plaintext and a foreign CA refused on every port, certificates naming pods and Services, application users confined, the default user off',
    needsDeployment: true,
    run: securityChecks,
  },
  {
    name: 'peer',
    description: "Sentinel's own behaviour on this deployment, mirroring redis/redis tests/sentinel/tests (failovers, reconfiguration, down conditions)",
    needsDeployment: true,
    // Pause is used by one check only (down.paused-instance), which is skipped with the reason on a target without it.
    needs: [],
    disruptive: PEER_STEPS,
    run: peerChecks,
  },
];

/** Groups run by the default `run` command before the scenarios (peer is left out: it costs several failovers and runtime reconfiguration; app-paths costs one failover). */
export const DEFAULT_SUITE_GROUPS: readonly ConformanceGroupName[] = ['static', 'scaling', 'profile', 'live', 'app-paths'];

/** The registered group by name, or undefined. */
export const findGroup = (name: string): ConformanceGroup | undefined => CONFORMANCE_GROUPS.find((g) => g.name === name);
