// The volumes ability on kind / kube: a pod's claim changed by a short-lived helper pod while the pod is held down.
// A deleted pod is recreated by the StatefulSet at once; with its node cordoned first, the replacement stays Pending
// because its PersistentVolume is pinned to that node (local-path, local volumes). The helper is pinned to the node
// by nodeName (the scheduler, and so the cordon, is bypassed), mounts the claim, changes the data dir and exits.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { abilityMissing, HarnessError } from '../../errors.ts';
import type { DeploymentModel } from '../../config/manifests.ts';
import type { AofTruncation, VolumeControl } from '../target.ts';
import type { KubePod, PodObject } from './api.ts';
import type { BackendOps, ControlDeps } from './backends/backend.ts';

/** The pod lookups and bounded waits of the controls (controls.ts podOps). */
type PodOps = BackendOps & { get(name: string): Promise<KubePod | null> };
import { chaosName, dnsPart, MANAGED_BY, MANAGED_BY_LABEL, MANAGED_SELECTOR, RUN_LABEL } from './backends/chaos-mesh-objects.ts';
import type { NodeCordons } from './cordon.ts';

/** The helper pods' role label: what `down` and the heals list them by. */
export const HELPER_ROLE_LABEL = 'sentinel-chaos/role';
export const HELPER_ROLE = 'volume-helper';
export const HELPER_SELECTOR = `${MANAGED_SELECTOR},${HELPER_ROLE_LABEL}=${HELPER_ROLE}`;
const HELPER_CONTAINER = 'volume';
/** The helper pod's own bound (activeDeadlineSeconds): the kubelet kills it past this even when the harness is gone. */
const HELPER_DEADLINE_S = 120;

export const notPinned = (claim: string): string =>
  `the PersistentVolume of claim ${claim} is not pinned to one node (network-attached, or unbound): cordoning the pod's node would not hold its replacement Pending; it would be scheduled on another node and mount the claim while the helper pod changes it. The volume scenarios on kind / kube need node-pinned volumes (local-path, local PVs)`;

/** Empties the data dir ($1), dot files included; fails when anything is left. */
export const WIPE_SCRIPT = `set -eu
cd "$1"
for f in * .[!.]* ..?*; do
  if [ -e "$f" ] || [ -L "$f" ]; then rm -rf -- "$f"; fi
done
n=0
for f in * .[!.]* ..?*; do
  if [ -e "$f" ] || [ -L "$f" ]; then n=$((n + 1)); fi
done
if [ "$n" -ne 0 ]; then echo "$1: $n entries left after emptying it" >&2; exit 5; fi
echo "emptied $1"`;

/** Cuts $2 bytes off the last incremental file of the AOF manifest under $1/appendonlydir (what the local target does). */
export const TRUNCATE_SCRIPT = `set -eu
d="$1/appendonlydir"
m=""
for f in "$d"/*.manifest; do
  if [ -f "$f" ]; then m="$f"; break; fi
done
if [ -z "$m" ]; then echo "no AOF manifest in appendonlydir/" >&2; exit 3; fi
f=$(awk '{ n = ""; s = ""; t = ""; for (i = 1; i < NF; i += 2) { if ($i == "file") n = $(i + 1); if ($i == "seq") s = $(i + 1); if ($i == "type") t = $(i + 1) } if (t == "i") print s, n }' "$m" | sort -n | tail -n 1 | cut -d " " -f 2)
if [ -z "$f" ]; then echo "the AOF manifest lists no incremental file" >&2; exit 4; fi
before=$(( $(wc -c < "$d/$f") ))
after=$(( before > $2 ? before - $2 : 0 ))
truncate -s "$after" "$d/$f"
echo "truncated appendonlydir/$f $before $after"`;

/**
 * backup-restore's copy out (exec'd in the running master's redis container, $1 = its data dir): the AOF as a tar on
 * stdout, as `kubectl cp` copies files out of a pod. Taken while the pod runs, as the deployment guide's procedure does.
 */
export const BACKUP_SCRIPT = `set -eu
cd "$1"
set --
if [ -d appendonlydir ]; then set -- "$@" appendonlydir; fi
if [ -f appendonly.aof ]; then set -- "$@" appendonly.aof; fi
if [ "$#" -eq 0 ]; then echo "no AOF in $PWD (appendonlydir/ or appendonly.aof)" >&2; exit 3; fi
tar cf - "$@"`;

/**
 * backup-restore's copy in (exec'd in a helper on the held pod's claim, $1 = the data dir, $2 = the tar's size, the
 * tar on stdin). It reads exactly $2 bytes (so it ends whether or not the API closes stdin), unpacks them beside the
 * data, and only then replaces the AOF (and drops an RDB, as the local target does).
 */
export const RESTORE_SCRIPT = `set -eu
cd "$1"
t=.sc-restore
rm -rf "$t"
mkdir -p "$t/files"
head -c "$2" > "$t/backup.tar"
got=$(( $(wc -c < "$t/backup.tar") ))
if [ "$got" -ne "$2" ]; then echo "received $got of $2 bytes of the backup" >&2; rm -rf "$t"; exit 3; fi
tar xf "$t/backup.tar" -C "$t/files"
if [ ! -d "$t/files/appendonlydir" ] && [ ! -f "$t/files/appendonly.aof" ]; then echo "the backup holds no AOF" >&2; rm -rf "$t"; exit 4; fi
rm -rf appendonlydir appendonly.aof dump.rdb
for f in appendonlydir appendonly.aof; do
  if [ -e "$t/files/$f" ]; then mv "$t/files/$f" .; fi
done
rm -rf "$t"
echo "restored $2 bytes: $(find appendonlydir appendonly.aof -type f 2>/dev/null | wc -l) files"`;

/** A helper that only keeps the claim mounted until the harness has exec'd into it (activeDeadlineSeconds ends it regardless). */
export const WAIT_SCRIPT = 'exec sleep 3600';

/** The file names in a tar (ustar / GNU headers: name, size; long names through the ustar prefix). */
export function tarEntries(tar: Buffer): string[] {
  const names: string[] = [];
  let at = 0;
  while (at + 512 <= tar.length) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const field = (from: number, len: number) =>
      h
        .subarray(from, from + len)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const prefix = field(257, 6).startsWith('ustar') ? field(345, 155) : '';
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    // '0' or NUL: a regular file; directories, links and GNU long-name records are not files of the backup.
    if (h[156] === 0x30 || h[156] === 0) names.push(name);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** The truncation the helper reported (its last "truncated FILE BEFORE AFTER" line). */
export function parseTruncation(log: string): AofTruncation {
  const m = log
    .trim()
    .split('\n')
    .map((l) => /^truncated (\S+) (\d+) (\d+)$/.exec(l.trim()))
    .filter((x) => x !== null)
    .at(-1);
  if (!m) throw new HarnessError('PROCESS_FAILED', `the volume helper did not report a truncation: ${log.trim().split('\n').at(-1) ?? '(no output)'}`);
  return { file: m[1]!, sizeBefore: Number(m[2]), sizeAfter: Number(m[3]) };
}

/** What the helper copies from the redis container: its claim template and mount, its image, and the security contexts. */
export interface DataVolume {
  template: string;
  mountPath: string;
  image: string;
  /** The pod template's and the redis container's securityContext (absent: none): the helper runs as redis does and passes the same admission. */
  podSecurityContext?: unknown;
  securityContext?: unknown;
}

/** The redis container's data volume: the claim template it mounts, where, the image and the security contexts (the helper runs the same). */
export function dataVolumeOf(model: DeploymentModel): DataVolume {
  const spec = model.objects.find((o) => o.kind === 'StatefulSet')?.spec as
    | {
        volumeClaimTemplates?: Array<{ metadata?: { name?: string } }>;
        template?: {
          spec?: {
            securityContext?: unknown;
            containers?: Array<{ name?: string; image?: string; securityContext?: unknown; volumeMounts?: Array<{ name?: string; mountPath?: string }> }>;
          };
        };
      }
    | undefined;
  const templates = new Set((spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
  const redis = spec?.template?.spec?.containers?.find((c) => c.name === model.redis.name);
  const mount = redis?.volumeMounts?.find((m) => templates.has(m.name));
  if (!redis?.image || !mount?.name || !mount.mountPath)
    throw abilityMissing(`the ${model.redis.name} container of StatefulSet ${model.statefulSet} mounts no volumeClaimTemplate: there is no claim to change`);
  const pod = spec?.template?.spec?.securityContext;
  return {
    template: mount.name,
    mountPath: mount.mountPath,
    image: redis.image,
    ...(pod ? { podSecurityContext: pod } : {}),
    ...(redis.securityContext ? { securityContext: redis.securityContext } : {}),
  };
}

/** The helper pod: labelled with the run, on `node` by nodeName, the claim mounted, `script` run once with its arguments. */
export function helperPod(
  o: Omit<DataVolume, 'template'> & { runId: string; namespace: string; pod: string; node: string; claim: string; script: string; args: string[] },
): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: chaosName(o.runId, 'vol', o.pod),
      namespace: o.namespace,
      labels: { [RUN_LABEL]: dnsPart(o.runId), [MANAGED_BY_LABEL]: MANAGED_BY, [HELPER_ROLE_LABEL]: HELPER_ROLE },
    },
    spec: {
      nodeName: o.node,
      restartPolicy: 'Never',
      activeDeadlineSeconds: HELPER_DEADLINE_S,
      terminationGracePeriodSeconds: 0,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      ...(o.podSecurityContext ? { securityContext: o.podSecurityContext } : {}),
      containers: [
        {
          name: HELPER_CONTAINER,
          image: o.image,
          command: ['sh', '-c', o.script, 'sh', o.mountPath, ...o.args],
          volumeMounts: [{ name: 'data', mountPath: o.mountPath }],
          ...(o.securityContext ? { securityContext: o.securityContext } : {}),
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: o.claim } }],
    },
  };
}

/** The file backupAof writes into its directory on the harness (a tar of the AOF, as the pod's tar made it). */
export const BACKUP_TAR = 'aof.tar';

const lastLine = (text: string) => text.trim().split('\n').at(-1) || '(no output)';

export interface KubeVolumes extends VolumeControl {
  /** Let a held pod come back (uncordon its node); start() calls it first. */
  release(pod: string): Promise<void>;
  /** Every helper pod of the run deleted, every hold released (heals on SIGINT and teardown). */
  healAll(): Promise<void>;
}

export function kubeVolumes(d: ControlDeps, ops: PodOps, cordons: NodeCordons, helperTimeoutMs = (HELPER_DEADLINE_S + 30) * 1000): KubeVolumes {
  const { api, namespace: ns, model } = d;
  const runId = d.runId ?? 'run';
  /** Pods held down: the node cordoned, the uid of the pod the hold was taken on. */
  const holds = new Map<string, { node: string; uid: string; claim: string }>();
  const helpers = new Set<string>();

  const removeHelper = async (name: string) => {
    await api.deletePod(ns, name, 0);
    await ops.until(`helper pod ${name} was not gone`, async () => (await api.getPod(ns, name)) === null, 30_000);
    helpers.delete(name);
  };
  const release = async (pod: string) => {
    const h = holds.get(pod);
    if (!h) return;
    holds.delete(pod);
    if (![...holds.values()].some((x) => x.node === h.node)) await cordons.uncordon(h.node);
  };

  /**
   * A helper pod running `script` on the held pod's claim, given to `use`; the helper is always deleted. The hold is
   * released afterwards, or on success kept (`keepHold`: start() releases it, so that every restored pod comes back together).
   */
  const onClaim = async (
    pod: string,
    what: string,
    helper: { script: string; args: string[]; keepHold?: boolean },
    use: (name: string, claim: string) => Promise<string>,
  ): Promise<string> => {
    const h = holds.get(pod);
    if (!h) throw new HarnessError('USAGE', `${what} on ${pod} needs the pod held down first (volumes.hold): its replacement would remount the claim at once`);
    let ok = false;
    try {
      const now = await ops.get(pod);
      if (now?.uid === h.uid) throw new HarnessError('USAGE', `${what} needs ${pod} stopped (its volume is in use)`);
      if (now?.nodeName)
        throw new HarnessError(
          'PROCESS_FAILED',
          `the replacement of ${pod} was scheduled on ${now.nodeName} although ${h.node} is cordoned: the claim is in use`,
        );
      const { template: _t, ...volume } = dataVolumeOf(model);
      const obj = helperPod({ ...volume, runId, namespace: ns, pod, node: h.node, claim: h.claim, script: helper.script, args: helper.args });
      const name = obj.metadata.name;
      helpers.add(name);
      try {
        await api.createPod(ns, obj);
        const out = await use(name, h.claim);
        ok = true;
        return out;
      } finally {
        await removeHelper(name);
      }
    } finally {
      if (!ok || !helper.keepHold) await release(pod);
    }
  };

  /** Waits (bounded) until the helper's phase is one of `phases`; returns it. */
  const helperPhase = async (name: string, what: string, claim: string, phases: string[]): Promise<string> => {
    let phase = '';
    await ops.until(
      `helper pod ${name} (${what} on claim ${claim}) did not ${phases.includes('Running') ? 'start' : 'complete'}`,
      async () => {
        const x = await api.getPod(ns, name);
        // Deleted under it (the heals on SIGINT): no use waiting for the bound.
        if (!x) throw new HarnessError('PROCESS_FAILED', `helper pod ${name} (${what} on claim ${claim}) was deleted before it completed`);
        phase = x.phase;
        return phases.includes(phase);
      },
      helperTimeoutMs,
    );
    return phase;
  };

  /** Runs `script` in a helper to its end; returns its log (a failed helper: PROCESS_FAILED with its last line). */
  const change = (pod: string, what: string, script: string, args: string[]): Promise<string> =>
    onClaim(pod, what, { script, args }, async (name, claim) => {
      const phase = await helperPhase(name, what, claim, ['Succeeded', 'Failed']);
      const log = await api.podLog(ns, name, HELPER_CONTAINER).catch((e: Error) => `(no log: ${e.message})`);
      if (phase !== 'Succeeded')
        throw new HarnessError('PROCESS_FAILED', `helper pod ${name} (${what} on claim ${claim}) failed: ${log.trim().split('\n').at(-1) ?? '(no output)'}`);
      return log;
    });

  /** The tar backupAof wrote, read back from the harness's directory. */
  const readBackup = async (src: string): Promise<Buffer> => {
    const tar = await readFile(path.join(src, BACKUP_TAR)).catch(() => null);
    if (!tar) throw new HarnessError('USAGE', `no ${BACKUP_TAR} in ${src}: restoreAof on Kubernetes takes a backup made by backupAof`);
    return tar;
  };

  return {
    async hold(pod) {
      const p = await ops.must(pod);
      if (!p.nodeName) throw new HarnessError('PROCESS_FAILED', `pod ${pod} is not scheduled on a node: there is no volume node to hold it on`);
      const claim = `${dataVolumeOf(model).template}-${pod}`;
      const pinned = await api.claimPinnedNodes(ns, claim);
      if (!pinned?.includes(p.nodeName)) throw abilityMissing(notPinned(claim));
      holds.set(pod, { node: p.nodeName, uid: p.uid, claim });
      await cordons.cordon(p.nodeName);
    },
    async wipe(pod) {
      await change(pod, 'wiping a volume', WIPE_SCRIPT, []);
    },
    async truncateAofTail(pod, bytes) {
      return parseTruncation(await change(pod, 'truncating an AOF', TRUNCATE_SCRIPT, [String(Math.max(0, Math.trunc(bytes)))]));
    },
    backupAof: (pod, dest) => copyAofOut(d, ops, pod, dest),
    // Into the held pod's claim through a helper that waits to be exec'd into; the tar goes in on its stdin.
    async restoreAof(pod, src) {
      const tar = await readBackup(src);
      const what = 'restoring an AOF';
      await onClaim(pod, what, { script: WAIT_SCRIPT, args: [], keepHold: true }, async (name, claim) => {
        const phase = await helperPhase(name, what, claim, ['Running', 'Succeeded', 'Failed']);
        if (phase !== 'Running') throw new HarnessError('PROCESS_FAILED', `helper pod ${name} (${what} on claim ${claim}) ended (${phase}) before it was used`);
        const { mountPath } = dataVolumeOf(model);
        const r = await api.execBytes(ns, name, HELPER_CONTAINER, ['sh', '-c', RESTORE_SCRIPT, 'sh', mountPath, String(tar.length)], tar);
        if (r.code !== 0)
          throw new HarnessError('PROCESS_FAILED', `helper pod ${name} (${what} on claim ${claim}) failed: exit ${r.code}: ${lastLine(r.stderr)}`);
        return r.stdout.toString();
      });
    },
    release,
    async healAll() {
      const listed = await api.listPods(ns, `${HELPER_SELECTOR},${RUN_LABEL}=${dnsPart(runId)}`).catch(() => []);
      for (const name of new Set([...helpers, ...listed.map((p) => p.name)])) await removeHelper(name).catch(() => {});
      for (const pod of [...holds.keys()]) await release(pod).catch(() => {});
    },
  };
}

/** backupAof on Kubernetes: out of the running pod, as `kubectl cp` does (tar over exec); the backup leaves the cluster for `dest` on the harness. */
async function copyAofOut(d: ControlDeps, ops: PodOps, pod: string, dest: string): Promise<string[]> {
  const { api, namespace: ns, model } = d;
  const p = await ops.must(pod);
  if (!p.containers.find((c) => c.name === model.redis.name)?.running)
    throw new HarnessError('PROCESS_FAILED', `backing up ${pod}'s AOF needs its ${model.redis.name} container running`);
  const { mountPath } = dataVolumeOf(model);
  const r = await api.execBytes(ns, pod, model.redis.name, ['sh', '-c', BACKUP_SCRIPT, 'sh', mountPath], null);
  if (r.code !== 0)
    throw new HarnessError('PROCESS_FAILED', `backing up ${pod}'s AOF (tar in ${pod}/${model.redis.name}) exited ${r.code}: ${lastLine(r.stderr)}`);
  const files = tarEntries(r.stdout).sort();
  if (files.length === 0) throw new HarnessError('PROCESS_FAILED', `the backup of ${pod}'s AOF holds no file (${r.stdout.length} bytes of tar)`);
  await mkdir(dest, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dest, BACKUP_TAR), r.stdout, { mode: 0o600 });
  return files;
}

/** `down`: delete the helper pods a SIGKILLed run left (of `runId` only, when given). */
export async function downHelperPods(api: ControlDeps['api'], namespace: string, runId?: string): Promise<string[]> {
  const selector = runId ? `${HELPER_SELECTOR},${RUN_LABEL}=${dnsPart(runId)}` : HELPER_SELECTOR;
  const lines: string[] = [];
  for (const p of await api.listPods(namespace, selector)) {
    await api.deletePod(namespace, p.name, 0);
    lines.push(`deleted helper pod ${p.name}`);
  }
  return lines;
}
