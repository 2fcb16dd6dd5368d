// The report's environment section: run, target, deployment, overrides and client options as key/value tables.
import { fmtDuration } from '../format.ts';
import type { Journal } from '../journal.ts';
import { esc } from './esc.ts';

export function environment(journal: Journal): string {
  const kv = (title: string, rows: [string, unknown][], note = ''): string =>
    `<div><h3>${esc(title)}</h3>${note}<table class="grid kv">${rows
      .map(([k, v]) => {
        const override = k.startsWith('override_');
        return `<tr${override ? ' class="override"' : ''}><th>${esc(k)}${override ? ' <span class="tag">override</span>' : ''}</th><td>${esc(v === '' ? '""' : String(v))}</td></tr>`;
      })
      .join('')}</table></div>`;
  const deployment = Object.entries(journal.deployment ?? {});
  const overrides = deployment.filter(([k]) => k.startsWith('override_'));
  return [
    '<section class="card" id="environment"><h2>Environment</h2>',
    '<div class="env">',
    kv('Target', [['name', journal.target.name], ['Redis version', journal.target.redisVersion ?? 'unknown'], ...Object.entries(journal.target.details ?? {})]),
    kv('Harness', [
      ['name', journal.harness.name],
      ['version', journal.harness.version],
      ['node', journal.harness.node],
      ['run id', journal.run.id],
      ['started', journal.run.startedAt],
      ['finished', journal.run.finishedAt],
      ['duration', fmtDuration(journal.run.durationMs)],
      ['interrupted', journal.run.interrupted],
      ['arguments', journal.run.argv.join(' ')],
    ]),
    kv(
      'Deployment parameters',
      [...deployment.filter(([k]) => !k.startsWith('override_')), ...overrides],
      overrides.length > 0
        ? `<p class="fine">Read from the manifests; the ${overrides.length} highlighted override${overrides.length === 1 ? '' : 's'} replaced the manifest value for this run.</p>`
        : '',
    ),
    kv('Client options', Object.entries(journal.client ?? {})),
    '</div></section>',
  ].join('\n');
}
