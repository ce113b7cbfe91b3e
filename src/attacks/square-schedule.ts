/**
 * The random search schedule of the L-inf Square Attack (Andriushchenko et al. 2020; fra31/auto-attack
 * `square.py`), drawn on the host once per run and uploaded as a table: at query i every example of
 * the batch tries the same square (side s_i at row vh_i, column vw_i) with the same sign per channel,
 * exactly as the reference draws one window per iteration for the whole batch.
 *
 * p (the fraction of pixels changed) starts at p_init and halves after iterations 10, 50, 200, 500,
 * 1000, 2000, 4000, 6000 and 8000 (AutoAttack runs it without rescaling to the query budget);
 * s = max(round(sqrt(p * h * w)), 1); vh, vw are uniform integers in [0, h - s), [0, w - s).
 */
import { uniform } from '../util/random.js';

export const SQUARE_P_INIT = 0.8;
export const SQUARE_QUERIES = 5000;

const HALVINGS = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];

export function squareFraction(iteration: number, pInit = SQUARE_P_INIT): number {
  let p = pInit;
  for (const after of HALVINGS) if (iteration > after) p /= 2;
  return p;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function squareSide(iteration: number, height: number, width: number, pInit = SQUARE_P_INIT): number {
  return Math.max(roundHalfEven(Math.sqrt(squareFraction(iteration, pInit) * height * width)), 1);
}

/** Columns of a table row. */
export const SQUARE_ROW = { top: 0, left: 1, side: 2, signs: 3 } as const;

/** [queries, 3 + channels] rows (top, left, side, sign per channel) for one run. */
export function squareTable(queries: number, channels: number, height: number, width: number, seed: number, stream: number, pInit = SQUARE_P_INIT): Float32Array {
  const cols = 3 + channels;
  const table = new Float32Array(queries * cols);
  for (let i = 0; i < queries; i++) {
    const s = squareSide(i, height, width, pInit);
    const draw = (j: number) => uniform(seed, stream, i * (cols + 1) + j);
    const row = i * cols;
    table[row + SQUARE_ROW.top] = Math.floor(draw(0) * Math.max(height - s, 0));
    table[row + SQUARE_ROW.left] = Math.floor(draw(1) * Math.max(width - s, 0));
    table[row + SQUARE_ROW.side] = s;
    for (let c = 0; c < channels; c++) table[row + SQUARE_ROW.signs + c] = draw(2 + c) < 0.5 ? -1 : 1;
  }
  return table;
}
