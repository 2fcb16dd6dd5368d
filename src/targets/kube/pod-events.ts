// Pod lifecycle (deleted, created, scheduled, ready) and the cluster's Events, as timeline entries next to the Sentinel events.
import type { ClusterEvent, KubePod, PodWatchEvent } from './api.ts';

export interface PodTimelineEvent {
  type: string;
  /** "<pod>: <what>" (the trial takes the pod name before the colon as the source). */
  detail: string;
}

/** What changed between two sightings of a pod; pure. */
export function podTransitions(prev: KubePod | undefined, e: PodWatchEvent): PodTimelineEvent[] {
  const p = e.pod;
  const out: PodTimelineEvent[] = [];
  const say = (type: string, what: string) => out.push({ type, detail: `${p.name}: ${what}` });
  if (e.type === 'DELETED') {
    say('pod-deleted', `uid ${p.uid} removed`);
    return out;
  }
  const same = prev !== undefined && prev.uid === p.uid;
  if (!same) say('pod-created', `uid ${p.uid}`);
  if (p.deleting && !(same && prev.deleting)) say('pod-terminating', `uid ${p.uid}`);
  if (p.nodeName && !(same && prev.nodeName)) say('pod-scheduled', `on ${p.nodeName}`);
  if (p.ready !== (same ? prev.ready : false)) say(p.ready ? 'ready' : 'not-ready', p.ready ? 'Ready condition True' : 'Ready condition False');
  for (const c of p.containers) {
    const before = same ? prev.containers.find((x) => x.name === c.name) : undefined;
    if (before && c.restarts > before.restarts) say('container-restarted', `${c.name} restart #${c.restarts}`);
  }
  return out;
}

/** Keeps the last sighting of each pod and turns watch events into timeline entries. */
export class PodEventTracker {
  private readonly last = new Map<string, KubePod>();
  private readonly listeners = new Set<(e: PodTimelineEvent) => void>();

  onPod(e: PodWatchEvent): void {
    const out = podTransitions(this.last.get(e.pod.name), e);
    if (e.type === 'DELETED') this.last.delete(e.pod.name);
    else this.last.set(e.pod.name, e.pod);
    for (const ev of out) this.emit(ev);
  }

  onClusterEvent(e: ClusterEvent): void {
    this.emit({ type: `k8s-${e.reason}`, detail: `${e.object}: ${e.message}` });
  }

  subscribe(fn: (e: PodTimelineEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: PodTimelineEvent): void {
    for (const l of this.listeners) l(e);
  }
}
