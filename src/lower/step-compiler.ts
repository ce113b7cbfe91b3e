/**
 * Compiles the graphs of one training step (StepGraphBuilder, step-graphs.ts) into GPU programs:
 * the prologue, each attack's step (run `steps` times) and the outer step, encoded into a single
 * submission with no readback. Programs are compiled once per (batch size, set of active
 * per-example states) and cached. Building the graphs needs no Runtime; only this class does.
 */
import type { ResolvedAttack, ResolvedPipeline } from '../check/resolved.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Program } from '../runtime/program.js';
import { StepGraphBuilder } from './step-graphs.js';

export interface TrainPrograms {
  batch: number;
  prologue: Program;
  attacks: { attack: ResolvedAttack; program: Program }[];
  outer: Program;
  /** The whole step in submission order. */
  sequence: Program[];
}

export class StepCompiler {
  private readonly cache = new Map<string, Promise<TrainPrograms>>();
  readonly builder: StepGraphBuilder;

  constructor(
    private readonly rt: Runtime,
    pipeline: ResolvedPipeline,
    /** Examples in the training set (rows of per-example state). */
    numExamples: number,
    seed: number,
    /** Optional extras of the outer program; off by default so the step's graph is unchanged. */
    options: { gradientNormSq?: boolean } = {},
  ) {
    this.builder = new StepGraphBuilder(pipeline, numExamples, seed, options);
  }

  get pipeline(): ResolvedPipeline {
    return this.builder.pipeline;
  }

  programs(batch: number, activeStates: ReadonlySet<string>): Promise<TrainPrograms> {
    const key = `${batch}|${[...activeStates].sort().join(',')}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.compile(batch, activeStates);
      this.cache.set(key, p);
    }
    return p;
  }

  private async compile(batch: number, activeStates: ReadonlySet<string>): Promise<TrainPrograms> {
    const g = this.builder.graphs(batch, activeStates);
    const label = (s: string) => `${this.pipeline.name}:${s}:b${batch}`;
    const prologue = await this.rt.compile(g.prologue, { label: label('prologue') });
    const attacks = [];
    for (const a of g.attacks) attacks.push({ attack: a.attack, program: await this.rt.compile(a.graph, { label: label(`attack:${a.attack.name}`) }) });
    const outer = await this.rt.compile(g.outer, { label: label('outer') });
    const sequence = [prologue];
    for (const a of attacks) for (let k = 0; k < a.attack.steps; k++) sequence.push(a.program);
    sequence.push(outer);
    return { batch, prologue, attacks, outer, sequence };
  }
}
