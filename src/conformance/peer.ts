// Peer conformance: Sentinel's own test suite (redis/redis tests/sentinel/tests/*.tcl) replayed on this
// deployment, where it applies. Each unit mirrors one upstream file; each check names the upstream test.
// Units run in order on the same deployment; after each one the deployment must converge again (strict:
// sentinels agree, replicas online, CKQUORUM OK) before the next starts.
import { HarnessError, isHarnessError } from '../errors.ts';
import { type Topology, waitForConvergence } from '../targets/convergence.ts';
import type { StartedDeployment } from '../targets/target.ts';
import type { ConformanceCheck, ConformanceContext, DisruptiveStep } from './types.ts';
import { agreementQuorum, base } from './peer/base.ts';
import { ckquorum } from './peer/ckquorum.ts';
import { confUpdate } from './peer/conf-update.ts';
import { downConditions } from './peer/down-conditions.ts';
import { manual } from './peer/manual.ts';
import { KILL_MASTER, PAUSE_MASTER } from './peer/master-faults.ts';
import { masterReboot } from './peer/master-reboot.ts';
import { Peers } from './peer/peers.ts';
import { runtimeReconf } from './peer/runtime-reconf.ts';
import { slavesReconf } from './peer/slaves-reconf.ts';
import { UnitRun, type UnitSpec, UPSTREAM_DIR, upstreamOf } from './peer/unit-run.ts';
import { errText } from './peer/until.ts';

export type { UnitSpec } from './peer/unit-run.ts';

/** For --dry-run: what each unit does to the deployment, and how it is undone (all on the heal stack, SIGINT included). */
export const PEER_STEPS: readonly DisruptiveStep[] = [
  {
    unit: '06-ckquorum.tcl',
    action: 'SENTINEL SET quorum 4, then 1, on one sentinel; SIGKILL the sentinel containers of two other pods',
    heal: 'restore the quorum; start the sentinel containers',
  },
  {
    unit: '03-runtime-reconf.tcl',
    action:
      'SENTINEL SET quorum / down-after on one sentinel; a runtime password change (CONFIG SET requirepass and masterauth on every node, the Secret, SENTINEL SET auth-pass, CLIENT KILL) with one sentinel container killed meanwhile',
    heal: 'restore quorum and down-after; the original password the same way; start the sentinel container',
  },
  { unit: '07-down-conditions.tcl', action: "SIGSTOP the master's redis", heal: 'SIGCONT', fault: PAUSE_MASTER },
  {
    unit: '07-down-conditions.tcl',
    action:
      "quorum 4 on every sentinel (no failover throughout the unit); SIGKILL a replica's redis container; REPLICAOF on the master; a busy script on the master; rename-command PING PONG on one sentinel",
    heal: 'start the container; REPLICAOF NO ONE; SCRIPT KILL; restore every setting and the quorum',
  },
  { unit: '05-manual.tcl', action: 'SENTINEL FAILOVER (twice: the second must answer INPROG)', heal: 'none: the new master stays; convergence awaited' },
  { unit: '00-base.tcl', action: "SIGKILL both containers of the master's pod", heal: 'start the pod again', fault: KILL_MASTER },
  { unit: '00-base.tcl', action: "quorum 4, then 3, on every sentinel; SIGKILL the master's redis container", heal: 'restore the quorum; start the container' },
  { unit: '01-conf-update.tcl', action: "SIGKILL two sentinel containers and the master's redis container", heal: 'start them again' },
  { unit: '02-slaves-reconf.tcl', action: "SIGKILL a replica's and the master's redis containers", heal: 'start them again' },
];

/** The units in the order they run: the cheap, failover-free ones first. */
export const PEER_UNITS: readonly UnitSpec[] = [ckquorum, runtimeReconf, downConditions, manual, base, agreementQuorum, confUpdate, slavesReconf, masterReboot];

/** Names of every peer check, in order (for the README and the tests). */
export const PEER_CHECK_NAMES: readonly string[] = PEER_UNITS.flatMap((u) => Object.keys(u.checks));

/** The peer group. Each unit restores what it changed and the deployment must converge before the next. */
export async function peerChecks(
  ctx: ConformanceContext,
  units: readonly UnitSpec[] = PEER_UNITS,
  /** How convergence is awaited (tests replace it). */
  convergeWith: (d: StartedDeployment, timeoutMs: number) => Promise<Topology> = (d, timeoutMs) =>
    waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs }),
): Promise<ConformanceCheck[]> {
  const d = ctx.deployment;
  if (!d) throw new HarnessError('INTERNAL', 'the peer conformance group needs a running deployment');
  const p = new Peers(d);
  const out: ConformanceCheck[] = [];
  const converge = () => convergeWith(d, ctx.convergeTimeoutMs);
  let broken: string | null = null;
  let topology: Topology | undefined;
  try {
    topology = await converge();
  } catch (e) {
    broken = `the deployment had not converged before the peer checks: ${errText(e)}`;
  }
  for (const spec of units) {
    if (broken !== null || topology === undefined) {
      for (const [name] of Object.entries(spec.checks)) {
        out.push({
          name,
          group: 'peer',
          valid: 'skipped',
          reason: broken ?? 'no topology',
          expected: '-',
          observed: 'not run',
          explanation: '',
          upstream: upstreamOf(spec, name),
        });
      }
      continue;
    }
    ctx.log?.(`conformance: peer ${spec.file} …`);
    const u = new UnitRun(spec, out, p, topology, ctx);
    const before = out.length;
    try {
      await spec.body(u);
    } catch (e) {
      if (!(isHarnessError(e) && e.code === 'STEP_FAILED')) {
        out.push({
          name: `${spec.id}.evaluation`,
          group: 'peer',
          valid: false,
          expected: 'the unit to run',
          observed: `error: ${errText(e)}`,
          explanation: 'The unit could not be carried out.',
          upstream: `${UPSTREAM_DIR}/${spec.file}`,
        });
      }
    }
    const restoreErrors = await u.heals.unwind();
    const recorded = new Set(out.slice(before).map((c) => c.name));
    for (const name of Object.keys(spec.checks)) {
      if (!recorded.has(name))
        out.push({
          name,
          group: 'peer',
          valid: 'skipped',
          reason: 'not reached: an earlier step of this unit failed',
          expected: '-',
          observed: 'not run',
          explanation: '',
          upstream: upstreamOf(spec, name),
        });
    }
    try {
      topology = await converge();
    } catch (e) {
      broken = `the deployment did not converge after ${spec.file}: ${errText(e)}`;
      out.push({
        name: `${spec.id}.converged-after`,
        group: 'peer',
        valid: false,
        expected: `the deployment converged again within ${ctx.convergeTimeoutMs} ms`,
        observed: `${errText(e)}${restoreErrors.length ? `; restoring failed: ${restoreErrors.join('; ')}` : ''}`,
        explanation: 'After every peer check the deployment must heal on its own (with what the check changed restored); the remaining checks are skipped.',
        upstream: `${UPSTREAM_DIR}/${spec.file}`,
      });
    }
  }
  return out.map((c) => scrub(c, d.passwords));
}

/** Defence in depth: no password in any text of a check (they are redacted again when written). */
function scrub(c: ConformanceCheck, secrets: readonly string[]): ConformanceCheck {
  const t = (s: string) => secrets.reduce((acc, p) => (p.length >= 4 ? acc.replaceAll(p, '***') : acc), s);
  return { ...c, expected: t(c.expected), observed: t(c.observed), explanation: t(c.explanation), ...(c.reason !== undefined ? { reason: t(c.reason) } : {}) };
}
