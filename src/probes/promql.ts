// Probe kind `promql`: an instant query (GET /api/v1/query) against a Prometheus; ok when every value of the result meets the bound.
import { z } from 'zod';
import { BOUND_RE, compare, parseBound } from './compare.ts';
import { defineProbe, fetchFailure, sampleSignal } from './probe.ts';

/** The part of Prometheus's query API answer a probe reads. */
const QueryAnswer = z.object({
  status: z.string(),
  error: z.string().optional(),
  data: z
    .discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(z.object({ value: z.tuple([z.number(), z.string()]) })) }),
      z.object({ resultType: z.literal('scalar'), result: z.tuple([z.number(), z.string()]) }),
    ])
    .optional(),
});

export const promqlProbe = defineProbe({
  kind: 'promql',
  fields: {
    /** Base URL of the Prometheus (the query goes to <url>/api/v1/query). */
    url: z.url({ protocol: /^https?$/ }),
    query: z.string().min(1),
    /** The bound every value of the result must meet: "<op> <number>", op one of > < >= <= == !=. */
    expect: z.string().regex(BOUND_RE, 'a comparison such as "> 0", "< 1" or "== 0"'),
  },
  async sample(spec, ctx) {
    const bound = parseBound(spec.expect)!;
    const url = `${spec.url.replace(/\/+$/, '')}/api/v1/query?${new URLSearchParams({ query: spec.query })}`;
    try {
      const res = await fetch(url, { signal: sampleSignal(ctx, spec.timeoutMs) });
      const parsed = QueryAnswer.safeParse(await res.json().catch(() => null));
      if (!parsed.success) return { ok: false, detail: `HTTP ${res.status}: not a Prometheus query answer` };
      const a = parsed.data;
      if (a.status !== 'success' || !a.data) return { ok: false, detail: `query failed: ${a.error ?? a.status}` };
      const values = a.data.resultType === 'scalar' ? [Number(a.data.result[1])] : a.data.result.map((r) => Number(r.value[1]));
      if (values.length === 0) return { ok: false, detail: 'no series in the result' };
      const bad = values.filter((v) => !compare(v, bound.op, bound.value));
      const shown = values.slice(0, 5).join(', ');
      return bad.length
        ? { ok: false, detail: `value ${bad[0]} not ${spec.expect.trim()} (${values.length} value(s): ${shown})` }
        : { ok: true, detail: `value(s) ${shown} ${spec.expect.trim()}` };
    } catch (e) {
      return { ok: false, detail: fetchFailure(e, spec.timeoutMs) };
    }
  },
});
