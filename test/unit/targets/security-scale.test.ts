// A pod added by scale-out under the secure profile gets its certificate (real openssl): signed by the run's CA,
// naming its pod DNS names, the Services and its address, in the TLS Secret's directory next to the first pods'.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { loadProfiledDeployment } from '../../../src/config/profiles.ts';
import { RUN_DEFAULTS } from '../../../src/runner/run.ts';
import { clientSecurity } from '../../../src/redis/security.ts';
import { hostVolumes } from '../../../src/targets/local/mounts.ts';
import { makePod } from '../../../src/targets/local/pods.ts';
import { podCertSubject, prepareLocalSecurity } from '../../../src/targets/local/security.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const pod = (ordinal: number, runDir: string) => makePod({ name: `redis-${ordinal}`, ordinal, subnet: 9, runDir, redisPort: 6379, sentinelPort: 26379 });

describe('the secure profile on a scale-out', () => {
  it("addPod: the new pod's certificate is the run CA's, names the pod, the Services and its address; key 0600", async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'sc-scale-cert-'));
    dirs.push(root);
    const model = await loadProfiledDeployment(RUN_DEFAULTS.manifestsDir, 'secure');
    const vols = hostVolumes(root);
    const first = [0, 1, 2].map((i) => pod(i, root));
    const sec = await prepareLocalSecurity({ model, vols, pods: first, serviceAddresses: ['127.0.9.250'], password: 'unit-pw-0123' });
    try {
      expect(sec?.certs).toBeTruthy();
      const added = pod(3, root);
      await sec!.addPod(added);
      const tlsDir = vols.secretDir(model.security!.tls!.secret);
      const ca = new X509Certificate(await readFile(path.join(tlsDir, 'ca.crt')));
      const cert = new X509Certificate(await readFile(path.join(tlsDir, 'redis-3.crt')));
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkHost(`redis-3.${model.headlessService}.${model.namespace}.svc.cluster.local`)).toBeDefined();
      expect(cert.checkHost(`redis.${model.namespace}.svc.cluster.local`)).toBeDefined();
      expect(cert.checkIP('127.0.9.4')).toBe('127.0.9.4');
      expect(cert.checkIP('127.0.9.250')).toBe('127.0.9.250');
      expect(cert.checkHost(`redis-2.${model.headlessService}.${model.namespace}.svc.cluster.local`)).toBeUndefined();
      expect((await stat(path.join(tlsDir, 'redis-3.key'))).mode & 0o777).toBe(0o600);
      expect(sec!.certs!.certs['redis-3']?.cert).toBe(path.join(tlsDir, 'redis-3.crt'));
    } finally {
      sec?.close();
    }
    expect(clientSecurity().tls).toBeNull();
  });

  it('podCertSubject: the same names for a first pod and an added one (only the ordinal differs)', async () => {
    const model = await loadProfiledDeployment(RUN_DEFAULTS.manifestsDir, 'secure');
    const a = podCertSubject(model, pod(0, '/x'), ['127.0.9.250']);
    const b = podCertSubject(model, pod(3, '/x'), ['127.0.9.250']);
    expect(b.dns).toEqual(a.dns!.map((n) => n.replace('redis-0', 'redis-3')));
    expect(b.ips).toEqual(['127.0.9.4', '127.0.9.250']);
  });

  it('without the secure profile there is no security to prepare (addPod has nothing to sign with)', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'sc-scale-cert-'));
    dirs.push(root);
    const model = await loadDeployment(RUN_DEFAULTS.manifestsDir);
    const sec = await prepareLocalSecurity({ model, vols: hostVolumes(root), pods: [pod(0, root)], serviceAddresses: [], password: 'unit-pw-0123' });
    expect(sec).toBeNull();
  });
});
