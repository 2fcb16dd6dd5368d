// The trend over runs: median and MAD per figure, and the noise-aware rule for the newest run.
import { describe, expect, it } from 'vitest';
import { computeTrend, judgeSeries, mad, median, renderTrendHtml, renderTrendMarkdown, TREND_DEFAULTS } from '../../../src/report/trend.ts';
import { runJournal } from '../../support/run-series.ts';

// Nine runs of a quiet scenario (±~60 ms) and a noisy one (±~1200 ms), both around 6000 ms.
const QUIET = [6010, 5950, 6040, 5990, 6060, 5970, 6020, 5940, 6000];
const NOISY = [6000, 4800, 7300, 5200, 6900, 4600, 7500, 5500, 6400];
const JUMP = 1000;

function tenRuns(tenth: { quiet: number; noisy: number; lost?: number }) {
  const runs = QUIET.map((q, i) => runJournal(i, { scenarios: { quiet: [q, q + 20, q - 20], noisy: [NOISY[i]!] } }));
  runs.push(
    runJournal(9, {
      scenarios: { quiet: [tenth.quiet, tenth.quiet + 20, tenth.quiet - 20], noisy: [tenth.noisy] },
      lost: { quiet: tenth.lost ?? 0 },
    }),
  );
  return runs;
}

const find = (t: ReturnType<typeof computeTrend>, scenario: string, figure: string) => t.series.find((s) => s.scenario === scenario && s.figure === figure)!;

describe('trend', () => {
  it('median and MAD (scaled)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 4);
  });

  it('ten runs: a jump of 1000 ms in the tenth is a regression on the quiet series, and the same jump within the noisy series is not', () => {
    const t = computeTrend(tenRuns({ quiet: 6000 + JUMP, noisy: 6000 + JUMP }));
    expect(t.runs).toHaveLength(10);
    const quiet = find(t, 'quiet', 'failover_ms');
    expect(quiet.points.map((p) => p.value)).toEqual([...QUIET, 7000]);
    expect(quiet.verdict).toBe('regression');
    expect(quiet.reason).toMatch(/7000 ms is 1000 ms above the median 6000 ms of 9 earlier runs: beyond 3 × MAD/);
    const noisy = find(t, 'noisy', 'failover_ms');
    expect(noisy.verdict).toBe('ok');
    expect(noisy.reason).toContain('within 3 × MAD');
    expect(t.regressions.map((s) => `${s.scenario} ${s.figure}`)).toEqual(['quiet failover_ms']);
  });

  it('noise of the usual size in the tenth run is not flagged', () => {
    const t = computeTrend(tenRuns({ quiet: 6050, noisy: 4700 }));
    expect(t.regressions).toEqual([]);
  });

  it('a tiny change on a very quiet series is below the minimum change', () => {
    const r = judgeSeries([6000, 6000, 6001, 6000, 6000, 6100], 'ms', 'up', TREND_DEFAULTS);
    expect(r.verdict).toBe('ok');
    expect(r.reason).toContain('within the minimum change 250 ms');
  });

  it('a lost write where none ever was is a regression; too few earlier runs is no verdict', () => {
    expect(find(computeTrend(tenRuns({ quiet: 6000, noisy: 6000, lost: 2 })), 'quiet', 'writes_lost').verdict).toBe('regression');
    expect(judgeSeries([6000, 9000], 'ms', 'up', TREND_DEFAULTS).verdict).toBe('insufficient');
  });

  it('--last N keeps the newest N runs', () => {
    const t = computeTrend(tenRuns({ quiet: 7000, noisy: 6000 }), { last: 3 });
    expect(t.runs).toHaveLength(3);
    expect(find(t, 'quiet', 'failover_ms').verdict).toBe('insufficient');
  });

  it('renders a self-contained page with sparklines and the rule, and a Markdown summary', () => {
    const t = computeTrend(tenRuns({ quiet: 7000, noisy: 7000 }));
    const html = renderTrendHtml(t);
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
    expect(html.match(/<svg class="spark"/g)?.length).toBe(t.series.length);
    expect(html).toContain('median absolute deviation');
    const mdText = renderTrendMarkdown(t);
    expect(mdText).toContain('## sentinel-chaos trend: 1 regression');
    expect(mdText).toContain('| quiet | failover_ms median | 6010 5950 6040 5990 6060 5970 6020 5940 6000 7000 |');
  });
});
