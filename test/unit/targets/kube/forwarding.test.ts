// Port-forwards that follow the pods and the name mapping, with real sockets on loopback (subnet 250).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { AddressBook, installResolver } from '../../../../src/targets/kube/address-book.ts';
import { PodForwarder } from '../../../../src/targets/kube/forwarder.ts';
import { FakeKube } from '../../../support/kube-fake.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A stand-in for the pod's port: answers each line with "<pod>:<line>". */
async function podServer(tag: () => string): Promise<number> {
  const srv = net.createServer((s) => s.on('data', (d) => s.write(`${tag()}:${String(d).trim()}\n`)));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return (srv.address() as net.AddressInfo).port;
}

function talk(host: string, port: number, line: string, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) }, () => s.write(`${line}\n`));
    s.once('data', (d) => {
      resolve(String(d).trim());
      s.destroy();
    });
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed')));
  });
}

describe('AddressBook', () => {
  it('maps what Sentinel announces (names, pod IPs) to the forward; everything else passes through', () => {
    const book = new AddressBook();
    book.set({ pod: 'redis-0', names: ['redis-0.redis-headless.matrix.svc.cluster.local', '10.244.1.5'], local: '127.0.250.1' });
    expect(book.natMap('redis-0.redis-headless.matrix.svc.cluster.local:6379')).toEqual({ host: '127.0.250.1', port: 6379 });
    expect(book.natMap('REDIS-0.redis-headless.matrix.svc.cluster.local.:26379')).toEqual({ host: '127.0.250.1', port: 26379 });
    expect(book.natMap('10.244.1.5:6379')).toEqual({ host: '127.0.250.1', port: 6379 });
    // The recreated pod's new IP keeps mapping to the same forward.
    book.addName('10.244.3.9', '127.0.250.1');
    expect(book.resolve('10.244.3.9')).toBe('127.0.250.1');
    expect(book.natMap('example.org:80')).toEqual({ host: 'example.org', port: 80 });
  });

  it('identify: an address a socket reached ► the pod identity (first name, same port), old addresses of a moved pod included; others unchanged', () => {
    const book = new AddressBook();
    const fqdn = 'redis-0.redis-headless.matrix.svc.cluster.local';
    book.set({ pod: 'redis-0', names: [fqdn, 'redis-0.redis-headless'], local: '127.0.131.1' });
    book.set({ pod: 'redis-1', names: ['redis-1.redis-headless.matrix.svc.cluster.local'], local: '127.0.131.2' });
    expect(book.identify('127.0.131.1:6379')).toBe(`${fqdn}:6379`);
    expect(book.identify('127.0.131.1:26379')).toBe(`${fqdn}:26379`);
    expect(book.identify('127.0.131.2:6379')).toBe('redis-1.redis-headless.matrix.svc.cluster.local:6379');
    // The pod moves (docker): its new address names it, and so does the old one, for writes it acknowledged there.
    book.set({ pod: 'redis-0', names: [fqdn], local: '127.0.131.11' });
    expect(book.identify('127.0.131.11:6379')).toBe(`${fqdn}:6379`);
    expect(book.identify('127.0.131.1:6379')).toBe(`${fqdn}:6379`);
    expect(book.identify('127.0.131.9:6379')).toBe('127.0.131.9:6379');
    expect(book.identify(`${fqdn}:6379`)).toBe(`${fqdn}:6379`);
    expect(book.identify('no-port')).toBe('no-port');
  });
});

describe('PodForwarder and the resolver', () => {
  it('each connection to a pod name reaches the pod through a new port-forward; after the pod is recreated the next one reaches the new pod', async () => {
    let generation = 1;
    const target = await podServer(() => `redis-0@${generation}`);
    const api = new FakeKube({ pods: ['redis-0'], forwardTo: () => ({ host: '127.0.0.1', port: target }) });
    const port = 46379;
    const f = new PodForwarder(api, 'matrix', 'redis-0', '127.0.250.1', [port]);
    await f.start();
    cleanups.push(() => f.close());
    const book = new AddressBook();
    book.set({ pod: 'redis-0', names: ['redis-0.redis-headless.matrix.svc.cluster.local'], local: '127.0.250.1' });
    cleanups.push(installResolver(book));

    expect(await talk('redis-0.redis-headless.matrix.svc.cluster.local', port, 'a')).toBe('redis-0@1:a');
    generation = 2;
    expect(await talk('redis-0.redis-headless.matrix.svc.cluster.local', port, 'b')).toBe('redis-0@2:b');
    expect(api.calls.filter((c) => c === `port-forward redis-0:${port}`)).toHaveLength(2);
  });

  it("block() refuses and cuts the majority-side client's connections and no one else's", async () => {
    const target = await podServer(() => 'redis-0');
    const api = new FakeKube({ pods: ['redis-0'], forwardTo: () => ({ host: '127.0.0.1', port: target }) });
    const f = new PodForwarder(api, 'matrix', 'redis-0', '127.0.250.2', [46380]);
    await f.start();
    cleanups.push(() => f.close());
    const majority = '127.0.250.200';
    // An established connection from the majority side is cut when the partition starts.
    const open = net.connect({ host: '127.0.250.2', port: 46380, localAddress: majority });
    await new Promise((r) => open.once('connect', r));
    const closed = new Promise((r) => open.once('close', r));
    open.on('error', () => {});
    await new Promise((r) => setTimeout(r, 20));
    f.block(majority);
    await closed;
    await expect(talk('127.0.250.2', 46380, 'x', majority)).rejects.toThrow();
    expect(await talk('127.0.250.2', 46380, 'y')).toBe('redis-0:y');
    f.unblock(majority);
    expect(await talk('127.0.250.2', 46380, 'z', majority)).toBe('redis-0:z');
  });

  it('ioredis reaches a pod by its announced name through the resolver (no natMap needed in its options)', async () => {
    // A minimal RESP server standing in for redis behind the forward.
    const srv = net.createServer((s) => s.on('data', () => s.write('+PONG\r\n')));
    await new Promise<void>((r) => srv.listen(46381, '127.0.250.3', () => r()));
    cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
    const book = new AddressBook();
    book.set({ pod: 'redis-2', names: ['redis-2.redis-headless.matrix.svc.cluster.local'], local: '127.0.250.3' });
    cleanups.push(installResolver(book));
    const r = new Redis({
      host: 'redis-2.redis-headless.matrix.svc.cluster.local',
      port: 46381,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => {});
    cleanups.push(() => void r.disconnect());
    await r.connect();
    expect(await r.ping()).toBe('PONG');
  });
});
