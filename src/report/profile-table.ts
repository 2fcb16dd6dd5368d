// The side-by-side view of a run under several deployment profiles (`--profile both`): per scenario, each
// profile's lost writes (and how many the old master acknowledged), outage, availability and failover.
import { fmt, fmtPct } from './format.ts';
import type { Journal, ProfileComparisonRow } from './journal.ts';

interface Column {
  label: string;
  cell: (r: ProfileComparisonRow) => string;
}

const COLUMNS: Column[] = [
  { label: 'verdict', cell: (r) => r.verdict },
  { label: 'writes lost', cell: (r) => fmt(r.writes_lost, 0) },
  {
    label: 'of which by the old master (bound)',
    cell: (r) => `${fmt(r.writes_lost_old_master, 0)}${r.writes_lost_old_master_max === null ? '' : ` (≤ ${fmt(r.writes_lost_old_master_max, 0)})`}`,
  },
  { label: 'writes acked (Sentinel client)', cell: (r) => fmt(r.writes_acked, 0) },
  { label: 'outage (ms)', cell: (r) => fmt(r.outage_ms) },
  { label: 'availability', cell: (r) => (r.availability === null ? '–' : fmtPct(r.availability)) },
  { label: 'failover (ms)', cell: (r) => fmt(r.failover_ms) },
  { label: 'split brain (ms)', cell: (r) => fmt(r.split_brain_ms) },
];

/** Scenario → profile → row, in first-seen order. */
function grouped(journal: Journal): { scenario: string; rows: ProfileComparisonRow[] }[] {
  const out: { scenario: string; rows: ProfileComparisonRow[] }[] = [];
  for (const r of journal.profileComparison ?? []) {
    const g = out.find((x) => x.scenario === r.scenario) ?? (out.push({ scenario: r.scenario, rows: [] }), out[out.length - 1]!);
    g.rows.push(r);
  }
  return out;
}

/** The profiles in run order. */
function profilesOf(journal: Journal): string[] {
  return journal.profiles?.map((p) => p.name) ?? [...new Set((journal.profileComparison ?? []).map((r) => r.profile))];
}

/**
 * Markdown lines: one table per scenario, a row per figure and a column per profile; nothing when the
 * journal compares no profiles. `escape` makes journal text inert.
 */
export function profileMarkdown(journal: Journal, escape: (s: string) => string): string[] {
  const groups = grouped(journal);
  if (groups.length === 0) return [];
  const profiles = profilesOf(journal);
  const out = ['### Profiles side by side', ''];
  for (const p of journal.profiles ?? []) {
    const settings = Object.entries(p.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    out.push(`- **${escape(p.name)}**: ${escape(p.description)}${settings ? ` (${escape(settings)})` : ''}`);
  }
  out.push('');
  for (const g of groups) {
    out.push(`**${escape(g.scenario)}**`, '');
    out.push(`| figure (worst trial) | ${profiles.map(escape).join(' | ')} |`, `| --- | ${profiles.map(() => '--:').join(' | ')} |`);
    for (const c of COLUMNS) {
      out.push(
        `| ${c.label} | ${profiles
          .map((p) => {
            const r = g.rows.find((x) => x.profile === p);
            return r ? escape(c.cell(r)) : '–';
          })
          .join(' | ')} |`,
      );
    }
    out.push('');
  }
  return out;
}

/** An HTML section with the same tables; '' when the journal compares no profiles. `esc` escapes text. */
export function profileHtml(journal: Journal, esc: (v: unknown) => string): string {
  const groups = grouped(journal);
  if (groups.length === 0) return '';
  const profiles = profilesOf(journal);
  const out = ['<section class="card" id="profiles"><h2>Profiles side by side</h2>'];
  out.push(
    `<ul>${(journal.profiles ?? [])
      .map(
        (p) =>
          `<li><strong>${esc(p.name)}</strong>: ${esc(p.description)}${
            Object.keys(p.settings).length
              ? ` <code>${esc(
                  Object.entries(p.settings)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', '),
                )}</code>`
              : ''
          }</li>`,
      )
      .join('')}</ul>`,
  );
  for (const g of groups) {
    out.push(`<h3>${esc(g.scenario)}</h3>`);
    out.push(
      `<table class="grid"><thead><tr><th>figure (worst trial)</th>${profiles.map((p) => `<th class="num">${esc(p)}</th>`).join('')}</tr></thead><tbody>`,
    );
    for (const c of COLUMNS) {
      out.push(
        `<tr><td>${esc(c.label)}</td>${profiles
          .map((p) => {
            const r = g.rows.find((x) => x.profile === p);
            return `<td class="num">${esc(r ? c.cell(r) : '–')}</td>`;
          })
          .join('')}</tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  out.push('</section>');
  return out.join('\n');
}
