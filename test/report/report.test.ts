import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeXml, formatTick, lineChart, niceTicks } from '../../src/report/svg-chart.js';
import { appendRecord } from '../../src/io/metrics.js';
import { EvalSummaryError, readEvalSummary, writeEvalSummary, type EvalSummary } from '../../src/report/eval-summary.js';
import { runResultTable, writeReport } from '../../src/report/report.js';
import { record } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'matc-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

describe('svg line chart', () => {
  it('picks round ticks that cover the data', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 0.87)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 8, 6, true)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(1, 200, 6, true)).toEqual([0, 50, 100, 150, 200]);
    expect(niceTicks(1, 2, 6, true)).toEqual([1, 2]);
    expect(niceTicks(0.1, 0.1)).toEqual([0.09, 0.095, 0.1, 0.105, 0.11]);
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(150, 50)).toBe('150');
    expect(formatTick(0.00001, 0.00001)).toBe('1.0e-5');
  });

  it('draws axes, ticks, labels, a legend entry and a line per series, escaping text', () => {
    const svg = lineChart({
      title: 'Loss <&> "quotes"',
      xLabel: 'epoch',
      yLabel: 'value',
      integerX: true,
      series: [
        { name: 'a & b', points: [{ x: 1, y: 1 }, { x: 2, y: 2 }, { x: 3, y: null }, { x: 4, y: 3 }, { x: 5, y: 2 }] },
        { name: 'c', points: [{ x: 1, y: 0 }, { x: 5, y: 1 }], dashed: true },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Loss &lt;&amp;&gt; &quot;quotes&quot;');
    expect(svg).toContain('>a &amp; b</text>');
    expect(svg).not.toContain('a & b');
    // The null breaks series a into two polylines; series c is one dashed polyline.
    expect(count(svg, /<polyline /g)).toBe(3);
    expect(count(svg, /stroke-dasharray/g)).toBe(2); // legend + line of c
    expect(count(svg, /<circle /g)).toBe(6);
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('rotate(-90)');
    for (const tick of ['1', '2', '3', '4', '5']) expect(svg).toContain(`text-anchor="middle">${tick}</text>`);
  });

  it('joins the points across missing values when asked (sparse evaluations)', () => {
    const points = [{ x: 1, y: 0.5 }, { x: 2, y: null }, { x: 3, y: null }, { x: 4, y: 0.6 }];
    const broken = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points }] });
    const joined = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points, connectGaps: true }] });
    expect(count(broken, /<polyline /g)).toBe(0);
    expect(count(joined, /<polyline /g)).toBe(1);
    expect(count(joined, /<circle /g)).toBe(2);
  });

  it('says so when there is nothing to draw', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [], emptyMessage: 'Nothing yet' });
    expect(svg).toContain('Nothing yet');
    expect(svg).not.toContain('<polyline');
  });

  it('escapes every XML special character', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

const best: EvalSummary = {
  checkpoint: 'best',
  attacks: { natural: { accuracy: 0.8412, n: 10000, title: 'Natural' }, pgd: { accuracy: 0.5087, n: 10000, title: 'PGD-1000' }, autoattack: { accuracy: 0.4733, n: 10000, title: 'AutoAttack' } },
};
const final: EvalSummary = {
  checkpoint: 'final',
  attacks: { natural: { accuracy: 0.8631, n: 10000, title: 'Natural' }, pgd: { accuracy: 0.4302, n: 10000, title: 'PGD-1000' }, autoattack: { accuracy: 0.4118, n: 10000, title: 'AutoAttack' } },
};

function runWithLog(name: string, epochs: number): string {
  const dir = join(root, name);
  for (let e = 1; e <= epochs; e++) appendRecord(dir, record(e, { is_best: e === 3, te_weight: e * 2, eval_n: 1000 }));
  return dir;
}

describe('evaluation summaries', () => {
  it('round-trip through eval/<checkpoint>.json and are validated', async () => {
    const dir = join(root, 'summaries');
    const path = await writeEvalSummary(dir, best);
    expect(path).toBe(join(dir, 'eval', 'best.json'));
    expect(readEvalSummary(dir, 'best')).toEqual(best);
    expect(readEvalSummary(dir, 'final')).toBeUndefined();
    writeFileSync(join(dir, 'eval', 'final.json'), JSON.stringify({ checkpoint: 'final', attacks: { pgd: { accuracy: 52.3, n: 10 } } }));
    expect(() => readEvalSummary(dir, 'final')).toThrow(EvalSummaryError);
    expect(() => readEvalSummary(dir, 'final')).toThrow(/final\.json: attack pgd: accuracy 52\.3 is not a fraction in \[0, 1\]/);
  });
});

describe('HTML report', () => {
  it('is one self-contained page with an <svg> per chart and the Best/Final/Diff table', async () => {
    const dir = runWithLog('full', 6);
    await writeEvalSummary(dir, best);
    await writeEvalSummary(dir, final);
    const path = await writeReport(dir, { titles: { natural: 'Natural', pgd: 'PGD-10' } });
    expect(path).toBe(join(dir, 'report.html'));
    const html = readFileSync(path, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(count(html, /<svg /g)).toBe(4);
    for (const title of ['Accuracy', 'Learning rate', 'Schedules (TE weight)', 'Training loss']) expect(html).toContain(`<title>${title}</title>`);
    // Four accuracy lines with a legend: train/test x natural/robust.
    for (const name of ['train natural', 'train robust', 'test natural', 'test robust']) expect(html).toContain(`data-name="${name}"`);
    expect(html).toContain('data-name="w"');
    expect(html).toContain('data-name="te_weight"');
    // No external assets or scripts.
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).not.toMatch(/href="http/);

    const rows = [...html.matchAll(/<tr><th scope="row">([^<]+)<\/th><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g)].map((m) => m.slice(1));
    // n: the evaluations' examples beside the log's (the per-epoch PGD-10 on its test subset).
    expect(rows).toEqual([
      ['Natural', '84.12', '86.31', '-2.19', String(best.attacks['natural']!.n)],
      ['PGD-10', '36.50', '38.00', '-1.50', '1000'],
      ['PGD-1000', '50.87', '43.02', '7.85', String(best.attacks['pgd']!.n)],
      ['AutoAttack', '47.33', '41.18', '6.15', String(best.attacks['autoattack']!.n)],
    ]);
    expect(html).toContain('<th scope="col" title="test examples behind each number (best/final when they differ)">n</th>');
    expect(html).toContain('best = epoch 3, final = epoch 6');
    expect(html).toContain('eval/best.json and eval/final.json');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('uses the training log when there are no final evaluations', async () => {
    const dir = runWithLog('log-only', 4);
    const html = readFileSync(await writeReport(dir), 'utf8');
    const rows = [...html.matchAll(/<tr><th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(rows).toEqual(['Natural', 'PGD']);
    expect(html).toContain('Source: metrics.jsonl');
    expect(runResultTable(dir).bestEpoch).toBe(3);
  });

  it('still renders for a run without epochs (and without schedules)', async () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    const html = readFileSync(await writeReport(dir, { title: 'empty <run>' }), 'utf8');
    expect(html).toContain('matc report: empty &lt;run&gt;');
    expect(count(html, /<svg /g)).toBe(4);
    expect(html).toContain('No epochs recorded yet');
    expect(html).toContain('No test accuracies recorded');
  });
});
