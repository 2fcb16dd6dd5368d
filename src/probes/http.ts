// Probe kind `http`: GET a URL on loopback; ok when the status is the expected one (and the body holds a substring, if given).
import { z } from 'zod';
import { defineProbe, fetchFailure, sampleSignal } from './probe.ts';

/** Whether `url`'s host is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    const h = u.hostname;
    return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
  } catch {
    return false;
  }
}

export const httpProbe = defineProbe({
  kind: 'http',
  fields: {
    /** An http(s) URL on loopback. */
    url: z.string().refine(isLoopbackUrl, 'an http(s) URL on loopback (127.0.0.0/8, ::1 or localhost)'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    /** Also require this substring in the body. */
    bodyContains: z.string().min(1).optional(),
  },
  async sample(spec, ctx) {
    try {
      const res = await fetch(spec.url, { signal: sampleSignal(ctx, spec.timeoutMs), redirect: 'manual' });
      const body = await res.text();
      if (res.status !== spec.expectStatus) return { ok: false, detail: `HTTP ${res.status}, expected ${spec.expectStatus}` };
      if (spec.bodyContains !== undefined && !body.includes(spec.bodyContains))
        return { ok: false, detail: `HTTP ${res.status}, body lacks ${JSON.stringify(spec.bodyContains)}` };
      return { ok: true, detail: `HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, detail: fetchFailure(e, spec.timeoutMs) };
    }
  },
});
