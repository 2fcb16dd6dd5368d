// doctor on fake machines: what is missing is reported with its fix, and the local verdict follows the binaries.
import { describe, expect, it } from 'vitest';
import { doctor, formatDoctor, localReady, type Probes } from '../../../src/cli/doctor.ts';

function machine(have: Record<string, string>, opts: { nft?: string | null; kubeconfig?: string | null } = {}): Probes {
  return {
    version: async (cmd, args) => have[`${cmd} ${args.join(' ')}`] ?? have[cmd] ?? null,
    nftReason: async () => opts.nft ?? null,
    kubeconfig: async () => opts.kubeconfig ?? null,
  };
}

const LOCAL = {
  'redis-server': 'Redis server v=7.0.15',
  'redis-sentinel': 'Redis server v=7.0.15',
  'redis-cli': 'redis-cli 7.0.15',
  timeout: 'timeout 9.1',
  curl: 'curl 7.88.1',
};

describe('doctor', () => {
  it('says the local target can run when its binaries are there, whatever kind and kube lack', async () => {
    const checks = await doctor(machine(LOCAL));
    expect(localReady(checks)).toBe(true);
    const text = formatDoctor(checks);
    expect(text).toContain('the local target can run.');
    expect(text).toMatch(/MISSING kind: not found {2}→ install kind/);
    expect(text).toMatch(/MISSING kubeconfig contexts: no kubeconfig/);
  });

  it('names the apt package and the flag for a missing redis binary, and says the local target cannot run', async () => {
    const { 'redis-sentinel': _gone, ...rest } = LOCAL;
    const checks = await doctor(machine(rest));
    expect(localReady(checks)).toBe(false);
    const line = formatDoctor(checks)
      .split('\n')
      .find((l) => l.includes('redis-sentinel'))!;
    expect(line).toContain('MISSING');
    expect(line).toContain('apt-get install -y redis-sentinel');
    expect(line).toContain('--redis-sentinel PATH');
  });

  it('reports nftables without CAP_NET_ADMIN as a fix to make, but not as blocking the local target', async () => {
    const checks = await doctor(machine(LOCAL, { nft: 'nftables needs CAP_NET_ADMIN: run as root or grant the capability' }));
    const nft = checks.find((c) => c.what.startsWith('nftables'))!;
    expect(nft.ok).toBe(false);
    expect(nft.fix).toContain('CAP_NET_ADMIN');
    expect(localReady(checks)).toBe(true);
  });

  it('does not mistake a docker client without an engine for a usable docker', async () => {
    const checks = await doctor(machine({ ...LOCAL, 'docker --version': 'Docker version 28.2.2' }));
    expect(checks.find((c) => c.what === 'docker client')!.ok).toBe(true);
    const engine = checks.find((c) => c.what === 'docker engine')!;
    expect(engine.ok).toBe(false);
    expect(engine.fix).toContain('start the Docker engine');
    const running = await doctor(machine({ ...LOCAL, 'docker --version': 'Docker version 28.2.2', 'docker info --format {{.ServerVersion}}': '28.2.2' }));
    expect(running.find((c) => c.what === 'docker engine')!.ok).toBe(true);
  });

  it('lists the kubeconfig contexts it finds', async () => {
    const kubeconfig = 'apiVersion: v1\nkind: Config\ncontexts:\n  - name: kind-sentinel-chaos\n  - name: staging\n';
    const checks = await doctor(machine(LOCAL, { kubeconfig }));
    const ctx = checks.find((c) => c.what === 'kubeconfig contexts')!;
    expect(ctx.ok).toBe(true);
    expect(ctx.found).toBe('kind-sentinel-chaos, staging');
  });
});
