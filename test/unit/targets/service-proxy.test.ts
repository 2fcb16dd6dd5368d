// The local kube-proxy: which pods a Service selects, round-robin over them, and real sockets routed the same way.
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { RoundRobin, selectEndpoints, servicesOf, startServiceProxy, type EndpointCandidate } from '../../../src/targets/local/service-proxy.ts';

const BUNDLED = path.resolve(import.meta.dirname, '../../../manifests');
const base = { 'app.kubernetes.io/name': 'redis' };
const pod = (name: string, role: string | undefined, ready = true): EndpointCandidate => ({
  pod: name,
  host: '127.0.0.1',
  ready,
  labels: role === undefined ? { ...base } : { ...base, 'redis.io/role': role },
});

describe('servicesOf', () => {
  it('reads the bundled Services: redis selects the master by label on 6379, redis-sentinel every pod on 26379, the headless one is left out', async () => {
    const services = servicesOf(await loadDeployment(BUNDLED));
    expect(services).toEqual([
      { name: 'redis', selector: { ...base, 'redis.io/role': 'master' }, ports: [{ name: 'redis', port: 6379, targetPort: 6379 }] },
      { name: 'redis-sentinel', selector: base, ports: [{ name: 'sentinel', port: 26379, targetPort: 26379 }] },
    ]);
  });
});

describe('selectEndpoints', () => {
  const master = { ...base, 'redis.io/role': 'master' };

  it('selects the pods whose labels match and that are ready, in name order', () => {
    const pods = [pod('redis-2', 'replica'), pod('redis-0', 'master'), pod('redis-1', 'replica')];
    expect(selectEndpoints(master, pods).map((p) => p.pod)).toEqual(['redis-0']);
    expect(selectEndpoints(base, pods).map((p) => p.pod)).toEqual(['redis-0', 'redis-1', 'redis-2']);
  });

  it('drops a pod that is not ready even if its label still says master (a killed master keeps its labels)', () => {
    expect(selectEndpoints(master, [pod('redis-0', 'master', false), pod('redis-1', 'master')]).map((p) => p.pod)).toEqual(['redis-1']);
  });

  it('selects nothing while no pod carries the label (mid-failover), and nothing for an empty selector', () => {
    expect(selectEndpoints(master, [pod('redis-0', 'unknown'), pod('redis-1', 'replica'), pod('redis-2', undefined)])).toEqual([]);
    expect(selectEndpoints({}, [pod('redis-0', 'master')])).toEqual([]);
  });

  it('selects both pods while two carry the master label (the window the README names)', () => {
    expect(selectEndpoints(master, [pod('redis-0', 'master'), pod('redis-1', 'master')])).toHaveLength(2);
  });
});

describe('RoundRobin', () => {
  it('cycles through the endpoints: two new connections in three go to replicas when every pod is selected', () => {
    const rr = new RoundRobin();
    const pods = [pod('redis-0', 'master'), pod('redis-1', 'replica'), pod('redis-2', 'replica')];
    const picks = Array.from({ length: 9 }, () => rr.pick(pods)!.pod);
    expect(picks).toEqual(['redis-0', 'redis-1', 'redis-2', 'redis-0', 'redis-1', 'redis-2', 'redis-0', 'redis-1', 'redis-2']);
    expect(picks.filter((p) => p !== 'redis-0')).toHaveLength(6);
  });

  it('continues after the last pick when the list changes, and returns undefined for none', () => {
    const rr = new RoundRobin();
    expect(rr.pick([pod('redis-0', 'x'), pod('redis-1', 'x'), pod('redis-2', 'x')])!.pod).toBe('redis-0');
    expect(rr.pick([pod('redis-2', 'x')])!.pod).toBe('redis-2');
    expect(rr.pick([pod('redis-0', 'x'), pod('redis-1', 'x')])!.pod).toBe('redis-0');
    expect(rr.pick([])).toBeUndefined();
  });
});

describe('startServiceProxy on real sockets', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  /** A TCP server that answers every connection with its own name, then keeps echoing. */
  async function backend(host: string, port: number, name: string): Promise<void> {
    const socks = new Set<net.Socket>();
    const srv = net.createServer((s) => {
      socks.add(s);
      s.on('close', () => socks.delete(s));
      s.write(`${name}\n`);
      s.on('data', (d) => s.write(d));
    });
    await new Promise<void>((r) => srv.listen(port, host, () => r()));
    closers.push(
      () =>
        new Promise<void>((r) => {
          for (const s of socks) s.destroy();
          srv.close(() => r());
        }),
    );
  }

  /** Connect and read the first line (the backend's name), or the error. */
  function hello(host: string, port: number): Promise<{ line: string; sock: net.Socket } | { error: string }> {
    return new Promise((resolve) => {
      const sock = net.connect({ host, port });
      sock.setEncoding('utf8');
      sock.once('data', (d: string) => resolve({ line: d.trim(), sock }));
      sock.once('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      sock.once('close', () => resolve({ error: 'closed' }));
    });
  }

  it('routes each new connection to a pod the selector matches now, keeps established ones, and resets when none matches', async () => {
    const labels: Record<string, string> = { a: 'master', b: 'replica' };
    const hosts = { a: '127.0.232.1', b: '127.0.232.2' };
    await backend(hosts.a, 16379, 'a');
    await backend(hosts.b, 16379, 'b');
    const proxy = await startServiceProxy({
      host: '127.0.232.250',
      port: 16379,
      targetPort: 16379,
      selector: { role: 'master' },
      candidates: () => (['a', 'b'] as const).map((n) => ({ pod: n, host: hosts[n], ready: true, labels: { role: labels[n]! } })),
    });
    closers.push(() => proxy.close());

    const first = await hello(proxy.host, proxy.port);
    expect(first).toMatchObject({ line: 'a' });
    // Failover: b is labelled master; new connections go to b, the one to a stays where it is.
    labels.a = 'replica';
    labels.b = 'master';
    expect(await hello(proxy.host, proxy.port)).toMatchObject({ line: 'b' });
    const old = (first as { sock: net.Socket }).sock;
    const echoed = new Promise<string>((r) => old.once('data', (d: string) => r(d)));
    old.write('still-a\n');
    expect(await echoed).toBe('still-a\n');
    // Mid-failover: nobody labelled master: the connection is refused (reset).
    labels.b = 'unknown';
    expect(await hello(proxy.host, proxy.port)).toHaveProperty('error');
    expect(proxy.routed).toEqual({ a: 1, b: 1, '(none)': 1 });
    old.destroy();
  });
});
