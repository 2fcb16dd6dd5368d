// The secure profile's certificates, made with the real openssl: SANs, usages, the chain, key modes.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateCertificates, podDnsNames, serviceDnsNames, subjectAltName } from '../../../src/targets/tls-certs.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('generateCertificates', () => {
  it('a CA, a certificate per pod naming its DNS names and addresses, client certificates; keys 0600, the CA key apart', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'sc-certs-'));
    dirs.push(root);
    const dns = [...podDnsNames('redis-0', 'redis-headless', 'matrix'), ...serviceDnsNames('redis', 'matrix')];
    const g = await generateCertificates({
      caDir: path.join(root, 'ca'),
      podDir: path.join(root, 'tls'),
      clientDir: path.join(root, 'clients'),
      pods: [{ name: 'redis-0', dns, ips: ['127.0.9.1', '127.0.9.250'] }],
      clients: ['harness'],
    });
    const ca = new X509Certificate(await readFile(g.ca));
    const pod = new X509Certificate(await readFile(g.certs['redis-0']!.cert));
    const client = new X509Certificate(await readFile(g.certs.harness!.cert));
    expect(pod.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(pod.checkHost('redis-0.redis-headless.matrix.svc.cluster.local')).toBe('redis-0.redis-headless.matrix.svc.cluster.local');
    expect(pod.checkHost('redis.matrix.svc.cluster.local')).toBeDefined();
    expect(pod.checkIP('127.0.9.1')).toBe('127.0.9.1');
    expect(pod.checkIP('127.0.9.250')).toBe('127.0.9.250');
    expect(pod.checkHost('redis-1.redis-headless.matrix.svc.cluster.local')).toBeUndefined();
    expect(pod.keyUsage ?? []).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    for (const k of [g.certs['redis-0']!.key, g.certs.harness!.key, g.caKey]) expect((await stat(k)).mode & 0o777).toBe(0o600);
    // The TLS Secret's directory holds ca.crt and the pods' files, never the CA's key.
    expect(path.dirname(g.caKey)).toBe(path.join(root, 'ca'));
    expect(path.dirname(g.ca)).toBe(path.join(root, 'tls'));
  });

  it('subjectAltName lists DNS then IP entries', () => {
    expect(subjectAltName({ name: 'x', dns: ['a', 'b'], ips: ['127.0.0.1'] })).toBe('DNS:a,DNS:b,IP:127.0.0.1');
    expect(subjectAltName({ name: 'x' })).toBe('');
  });
});
