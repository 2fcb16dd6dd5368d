// The conformance part of summary.md and index.html: per group a verdict line, then every check that did not pass.
import type { ConformanceCheck, ConformanceGroupResult } from '../model/conformance.ts';
import type { Verdict } from './journal.ts';

const count = (checks: readonly ConformanceCheck[], v: ConformanceCheck['valid']) => checks.filter((c) => c.valid === v).length;

function tally(g: ConformanceGroupResult): string {
  const parts = [`${count(g.checks, true)} of ${g.checks.length} passed`];
  if (count(g.checks, false)) parts.push(`${count(g.checks, false)} failed`);
  if (count(g.checks, 'unknown')) parts.push(`${count(g.checks, 'unknown')} undecided`);
  if (count(g.checks, 'skipped')) parts.push(`${count(g.checks, 'skipped')} skipped`);
  return parts.join(', ');
}

/** A check's verdict in the journal's vocabulary (JUnit, HTML, summary). */
export const checkVerdict = (c: ConformanceCheck): Verdict =>
  c.valid === true ? 'pass' : c.valid === false ? 'fail' : c.valid === 'unknown' ? 'unknown' : 'skipped';

const where = (c: ConformanceCheck) => [c.file, c.object, c.field].filter((x) => x !== undefined && x !== '').join(' ');

/** Markdown lines; `md` escapes journal text (markdown.ts's). */
export function conformanceMarkdown(groups: readonly ConformanceGroupResult[], md: (s: string) => string): string[] {
  if (groups.length === 0) return [];
  const icon = { pass: '✅', fail: '❌', unknown: '❓', skipped: '⏭️' } as const;
  const out = ['### Conformance', '', '| group | verdict | checks | time |', '| --- | --- | --- | --: |'];
  for (const g of groups) out.push(`| ${md(g.group)} | ${icon[g.verdict] ?? ''} ${md(g.verdict)} | ${md(tally(g))} | ${(g.durationMs / 1000).toFixed(1)} s |`);
  const failed = groups.flatMap((g) => g.checks.filter((c) => c.valid === false));
  if (failed.length > 0) {
    out.push('', '**Failed checks**', '');
    for (const c of failed)
      out.push(
        `- **${md(`${c.group}/${c.name}`)}**${where(c) ? ` (${md(where(c))})` : ''}: expected ${md(c.expected)}, observed ${md(c.observed)}. ${md(c.explanation)}`,
      );
  }
  const undecided = groups.flatMap((g) => g.checks.filter((c) => c.valid === 'unknown'));
  if (undecided.length > 0) {
    out.push('', '**Undecided checks**', '');
    for (const c of undecided) out.push(`- **${md(`${c.group}/${c.name}`)}**: expected ${md(c.expected)}, observed ${md(c.observed)}. ${md(c.explanation)}`);
  }
  const skipped = groups.flatMap((g) => g.checks.filter((c) => c.valid === 'skipped'));
  if (skipped.length > 0) {
    out.push('', '**Skipped checks**', '');
    for (const c of skipped) out.push(`- ${md(`${c.group}/${c.name}`)}: ${md(c.reason ?? 'no reason given')}`);
  }
  return out;
}

/** The group's alert windows (monitoring: each alert from fire to clear, ms after the fault landed) as one SVG timeline; '' without alert events. */
export function alertWindowsSvg(g: ConformanceGroupResult, esc: (v: unknown) => string): string {
  const byName = new Map<string, { fire: number | null; clear: number | null }>();
  for (const e of g.checks.flatMap((c) => c.events ?? [])) {
    if (e.kind !== 'alert') continue;
    const w = byName.get(e.name) ?? { fire: null, clear: null };
    if (e.type === 'fire') w.fire = e.atMs;
    else w.clear = e.atMs;
    byName.set(e.name, w);
  }
  const rows = [...byName].filter(([, w]) => w.fire !== null);
  if (rows.length === 0) return '';
  const end = Math.max(1, ...rows.map(([, w]) => w.clear ?? w.fire!)) * 1.05;
  const x = (ms: number) => 200 + (ms / end) * 560;
  const bars = rows.map(([name, w], i) => {
    const y = 18 + i * 18;
    const to = w.clear ?? end;
    return `<text x="4" y="${y + 11}" font-size="11">${esc(name)}</text><rect x="${x(w.fire!).toFixed(1)}" y="${y}" width="${Math.max(2, x(to) - x(w.fire!)).toFixed(1)}" height="12" fill="#d9534f"><title>${esc(name)}: fired ${esc(Math.round(w.fire!))} ms, ${w.clear === null ? 'never cleared' : `cleared ${esc(Math.round(w.clear))} ms`} after the fault</title></rect>`;
  });
  return `<svg class="alert-windows" viewBox="0 0 780 ${30 + rows.length * 18}" width="780" role="img" aria-label="alert windows"><text x="200" y="11" font-size="11">0 ms (fault landed)</text><text x="760" y="11" font-size="11" text-anchor="end">${esc(Math.round(end))} ms</text>${bars.join('')}</svg>`;
}

/** An HTML <section>; `esc` escapes journal text (html.ts's). */
export function conformanceHtml(groups: readonly ConformanceGroupResult[], esc: (v: unknown) => string): string {
  if (groups.length === 0) return '';
  const pill = (v: string) => `<span class="pill ${esc(v)}">${esc(v.toUpperCase())}</span>`;
  const rows = (g: ConformanceGroupResult) =>
    g.checks
      .map((c) => {
        const v = checkVerdict(c);
        const detail =
          c.valid === 'skipped'
            ? esc(c.reason ?? '')
            : `${esc(c.explanation)}${c.upstream ? `<br><span class="fine">upstream: ${esc(c.upstream)}</span>` : ''}${where(c) ? `<br><span class="fine">${esc(where(c))}</span>` : ''}`;
        return `<tr><td>${pill(v)}</td><td><code>${esc(c.name)}</code></td><td>${esc(c.expected)}</td><td>${esc(c.observed)}</td><td>${detail}</td></tr>`;
      })
      .join('');
  return [
    '<section class="card" id="conformance"><h2>Conformance</h2>',
    ...groups.map(
      (g) =>
        `<details${g.verdict === 'fail' || g.verdict === 'unknown' ? ' open' : ''}><summary>${pill(g.verdict)} <strong>${esc(g.group)}</strong> · ${esc(tally(g))} · ${esc((g.durationMs / 1000).toFixed(1))} s</summary>` +
        `${alertWindowsSvg(g, esc)}<div class="scroll"><table class="grid"><thead><tr><th>verdict</th><th>check</th><th>expected</th><th>observed</th><th>why</th></tr></thead><tbody>${rows(g)}</tbody></table></div></details>`,
    ),
    '</section>',
  ].join('\n');
}
