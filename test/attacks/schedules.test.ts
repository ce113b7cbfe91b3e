import { describe, expect, it } from 'vitest';
import { apgdCheckpoints, apgdWindows } from '../../src/attacks/apgd-schedule.js';
import { squareFraction, squareSide, squareTable, roundHalfEven } from '../../src/attacks/square-schedule.js';

describe('APGD checkpoints', () => {
  it('are 22, 41, 57, 70, 80, 87, 93, 99 for 100 iterations', () => {
    expect(apgdCheckpoints(100)).toEqual([22, 41, 57, 70, 80, 87, 93, 99]);
  });

  it('follow p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06) from p_1 = 0.22', () => {
    const p = [0, 0.22];
    while (p[p.length - 1]! < 1) p.push(p[p.length - 1]! + Math.max(p[p.length - 1]! - p[p.length - 2]! - 0.03, 0.06));
    const fromFormula = p.slice(1).map((v) => Math.round(v * 100)).filter((v) => v < 100);
    expect(apgdCheckpoints(100)).toEqual(fromFormula);
  });

  it('window lengths shrink by 3 down to 6', () => {
    expect(apgdWindows(100).map((w) => w.length)).toEqual([22, 19, 16, 13, 10, 7, 6, 6]);
  });

  it('short runs still get checkpoints', () => {
    expect(apgdCheckpoints(10)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(apgdCheckpoints(1)).toEqual([1]);
  });
});

describe('Square schedule', () => {
  it('halves p after 10, 50, 200, 500, 1000, 2000, 4000 queries', () => {
    expect([0, 10, 11, 50, 51, 200, 201, 500, 501, 1000, 1001, 2000, 2001, 4000, 4001].map((i) => squareFraction(i))).toEqual([
      0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.00625,
    ]);
  });

  it('squares cover p of the image, at least one pixel', () => {
    expect(squareSide(0, 28, 28)).toBe(25);
    expect(squareSide(4999, 28, 28)).toBe(2);
    expect(squareSide(4999, 4, 4)).toBe(1);
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(3.5)).toBe(4);
  });

  it('windows stay inside the image and are reproducible', () => {
    const t = squareTable(300, 3, 8, 8, 5, 1);
    for (let i = 0; i < 300; i++) {
      const [top, left, side] = [t[i * 6]!, t[i * 6 + 1]!, t[i * 6 + 2]!];
      expect(top + side).toBeLessThanOrEqual(8);
      expect(left + side).toBeLessThanOrEqual(8);
      expect(Math.abs(t[i * 6 + 3]!)).toBe(1);
    }
    expect(squareTable(300, 3, 8, 8, 5, 1)).toEqual(t);
    expect(squareTable(300, 3, 8, 8, 6, 1)).not.toEqual(t);
  });
});
