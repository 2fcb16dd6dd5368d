// What a docker deployment leaves when its harness dies without teardown: labelled containers and volumes, a detached dnsmasq.
import { readFile } from 'node:fs/promises';
import { RUN_LABEL } from '../runtime/runtime.ts';
import { isAlive, signalAndWait } from '../runtime/process-runtime.ts';
import { DockerRuntime } from './docker-runtime.ts';

/** Whether `pid` is a dnsmasq serving files inside `runDir` (so a reused PID is never touched). */
async function isOurDns(pid: number, runDir: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('dnsmasq') && cmdline.includes(runDir);
}

/** Removes the run's containers (by its label) and its DNS server; returns what was removed. */
export async function removeDockerLeftovers(state: { runId: string; runDir: string; dnsPid?: number }): Promise<string[]> {
  const removed = await new DockerRuntime().removeLabelled({ [RUN_LABEL]: state.runId });
  if (state.dnsPid !== undefined && isAlive(state.dnsPid) && (await isOurDns(state.dnsPid, state.runDir))) {
    await signalAndWait({ pid: state.dnsPid }, 'SIGKILL', 2000);
    removed.push(`dnsmasq (pid ${state.dnsPid})`);
  }
  return removed;
}
