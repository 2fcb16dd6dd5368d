// Cordons the run makes (a drain's, a volume change's): each recorded on the node itself as an annotation with
// the run id, in the same patch, so that `down` can find and undo them after a SIGKILLed harness.
import type { KubeApi } from './api.ts';
import { dnsPart } from './backends/chaos-mesh-objects.ts';

/** The annotation on a node the run cordoned: its value is the run id. */
export const CORDONED_BY = 'sentinel-chaos/cordoned-by';

export class NodeCordons {
  /** Nodes this run cordoned and has not uncordoned yet. */
  private readonly mine = new Set<string>();
  private readonly api: KubeApi;
  private readonly runId: string;
  constructor(api: KubeApi, runId: string) {
    this.api = api;
    this.runId = runId;
  }

  /**
   * Cordon `node` and record the run on it. A node someone else had cordoned stays theirs: it is left as it is
   * (and never uncordoned by this run); returns whether this run cordoned it.
   */
  async cordon(node: string): Promise<boolean> {
    if (this.mine.has(node)) return true;
    const n = await this.api.getNode(node);
    if (n?.unschedulable && n.annotations[CORDONED_BY] === undefined) return false;
    this.mine.add(node);
    await this.api.patchNode(node, { unschedulable: true, annotations: { [CORDONED_BY]: dnsPart(this.runId) } });
    return true;
  }

  /** Uncordon a node this run cordoned (and drop the record); a node it did not cordon is left alone. */
  async uncordon(node: string): Promise<void> {
    if (!this.mine.has(node)) return;
    await this.api.patchNode(node, { unschedulable: false, annotations: { [CORDONED_BY]: null } });
    this.mine.delete(node);
  }

  isMine(node: string): boolean {
    return this.mine.has(node);
  }

  /** Every node still cordoned by this run back into service (heals on SIGINT and teardown). */
  async uncordonAll(): Promise<void> {
    for (const n of [...this.mine]) await this.uncordon(n).catch(() => {});
  }
}

/** `down`: uncordon every node carrying the annotation (of `runId` only, when given) and drop the annotation. */
export async function downCordons(api: KubeApi, runId?: string): Promise<string[]> {
  const lines: string[] = [];
  for (const n of await api.listNodes()) {
    const by = n.annotations[CORDONED_BY];
    if (by === undefined || (runId !== undefined && by !== dnsPart(runId))) continue;
    await api.patchNode(n.name, { unschedulable: false, annotations: { [CORDONED_BY]: null } });
    lines.push(`uncordoned node ${n.name} (cordoned by run ${by})`);
  }
  return lines;
}
