// A port-forward that follows its pod: a local listener on the pod's own port numbers; every accepted
// connection opens a new forward to the pod *by name*, so after the StatefulSet recreates the pod the
// next connection reaches the new one (an established one dies with the old pod, as in-cluster).
import net from 'node:net';
import type { KubeApi } from './api.ts';

export class PodForwarder {
  private readonly servers: net.Server[] = [];
  private readonly open = new Set<net.Socket>();
  private readonly blocked = new Set<string>();
  private readonly api: Pick<KubeApi, 'portForward'>;
  private readonly ns: string;
  readonly pod: string;
  readonly local: string;
  private readonly ports: readonly number[];

  constructor(api: Pick<KubeApi, 'portForward'>, ns: string, pod: string, local: string, ports: readonly number[]) {
    this.api = api;
    this.ns = ns;
    this.pod = pod;
    this.local = local;
    this.ports = ports;
  }

  async start(): Promise<void> {
    for (const port of this.ports) {
      const srv = net.createServer((socket) => this.accept(socket, port));
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, this.local, () => resolve());
      });
      this.servers.push(srv);
    }
  }

  private accept(socket: net.Socket, port: number): void {
    if (this.blocked.has(socket.remoteAddress ?? '')) {
      socket.destroy();
      return;
    }
    this.open.add(socket);
    socket.on('close', () => this.open.delete(socket));
    socket.on('error', () => socket.destroy());
    this.api.portForward(this.ns, this.pod, port, socket).then(
      (close) => socket.once('close', close),
      () => socket.destroy(),
    );
  }

  /**
   * Refuse connections from `source` and cut the open ones: a client standing on the other side of a
   * partition. Port-forwarded traffic enters the pod on its loopback interface, which the pod's
   * iptables rules must leave alone (its own probes use it), so this cut is made here.
   */
  block(source: string): void {
    this.blocked.add(source);
    for (const s of this.open) if (s.remoteAddress === source) s.destroy();
  }

  unblock(source: string): void {
    this.blocked.delete(source);
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
