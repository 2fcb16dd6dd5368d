// The DNS ability on the chaos-mesh backend: the deployment's pods cut from the cluster DNS Service
// (NetworkChaos partition to its cluster IP: lookups time out, as with a frozen server), and one name's
// lookups failing (DNSChaos error: SERVFAIL from Chaos Mesh's DNS server, which needs dnsServer.create=true).
import { HarnessError } from '../../../errors.ts';
import type { DnsControl } from '../../target.ts';
import type { CustomObject, CustomObjectRef } from '../api.ts';
import type { ControlDeps } from './backend.ts';
import { dnsFault, dnsUnreachable, type ChaosContext } from './chaos-mesh-objects.ts';

/** Create (guarded), prove injected; removes it again when the proof fails. */
export type ChaosInject = (obj: CustomObject) => Promise<CustomObjectRef>;
export type ChaosRemove = (ref: CustomObjectRef) => Promise<unknown>;

/** The cluster DNS Service the pods' resolv.conf points at (kubeadm and kind: kube-system/kube-dns). */
export const CLUSTER_DNS = { namespace: 'kube-system', service: 'kube-dns' } as const;

/** getent's answer inside a pod ► the addresses, or ENOTFOUND (not found / SERVFAIL), ETIMEOUT (killed by timeout), or EXIT<n>. */
export function getentAnswer(r: { code: number; stdout: string }): string[] | string {
  if (r.code === 0)
    return [
      ...new Set(
        r.stdout
          .split('\n')
          .map((l) => l.trim().split(/\s+/)[0]!)
          .filter(Boolean),
      ),
    ];
  if (r.code === 124) return 'ETIMEOUT';
  if (r.code === 2) return 'ENOTFOUND';
  return `EXIT${r.code}`;
}

/** DNSChaos patterns for a pod's names: the pod.service prefix with a trailing wildcard covers the FQDN and the search-list forms. */
export const namePatterns = (name: string): string[] => {
  const labels = name.replace(/\.$/, '').split('.');
  return labels.length > 2 ? [`${labels[0]}.${labels[1]}*`] : [name];
};

export function chaosMeshDns(d: ControlDeps, ctx: ChaosContext, inject: ChaosInject, remove: ChaosRemove, pollMs = d.pollMs): DnsControl {
  const probePod = (not?: string) => d.model.podNames.find((p) => p !== not) ?? d.model.podNames[0]!;
  const query = async (name: string, timeoutMs = 2000, from = probePod()) =>
    getentAnswer(
      await d.api.exec(d.namespace, from, d.model.redis.name, ['timeout', String(Math.max(1, Math.ceil(timeoutMs / 1000))), 'getent', 'hosts', name]),
    );
  /** Poll until `ok` holds for a lookup of `name` from `from`, bounded. */
  const until = async (what: string, name: string, from: string, ok: (a: string[] | string) => boolean, timeoutMs = 30_000) => {
    const deadline = performance.now() + timeoutMs;
    let last: string[] | string;
    for (;;) {
      last = await query(name, 2000, from);
      if (ok(last)) return;
      if (performance.now() > deadline)
        throw new HarnessError('FAULT_FAILED', `${what} within ${timeoutMs} ms (a lookup of ${name} from ${from} answered ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  const inCluster = `kubernetes.default.svc.cluster.local`;
  let down: CustomObjectRef | null = null;
  return {
    async pause() {
      const ip = await d.api.getServiceClusterIP(CLUSTER_DNS.namespace, CLUSTER_DNS.service);
      if (!ip)
        throw new HarnessError(
          'ABILITY_MISSING',
          `no Service ${CLUSTER_DNS.namespace}/${CLUSTER_DNS.service} with a cluster IP: the pods' DNS server is not known, so it cannot be cut`,
        );
      down = await inject(dnsUnreachable(ctx, d.model.podNames, [ip]));
      // Proof: a lookup from inside a pod times out (not refused, not answered).
      await until('the cluster DNS Service was still answering', inCluster, probePod(), (a) => a === 'ETIMEOUT');
    },
    async resume() {
      if (!down) return;
      const ref = down;
      down = null;
      await remove(ref);
      await until('DNS lookups did not answer again', inCluster, probePod(), Array.isArray);
    },
    async removeRecord(name) {
      // The other pods' lookups fail; the owner (recreated at once on Kubernetes) is left out, so the object does not wait for it to run.
      const owner = d.model.podNames.find((p) => name.startsWith(`${p}.`));
      const from = probePod(owner);
      const others = d.model.podNames.filter((p) => p !== owner);
      const ref = await inject(dnsFault(ctx, others, 'error', namePatterns(name), `gone-${name.split('.')[0]}`));
      await until(`${name} still resolved`, name, from, (a) => a === 'ENOTFOUND');
      let restored = false;
      return {
        async restore() {
          if (restored) return;
          restored = true;
          await remove(ref);
        },
      };
    },
    query: (name, timeoutMs) => query(name, timeoutMs),
  };
}
