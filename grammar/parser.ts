/**
 * The .mat grammar: a Chevrotain CstParser. This class is the single source of truth for the syntax;
 * src/syntax/build-ast.ts turns its CST into the AST and grammar/reference.ts draws the reference from it.
 *
 * Newlines are not significant: statements start with a keyword or `name =`, and expressions end
 * where no operator follows. Commas between settings are optional.
 */
import type { CstNode, IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { CstParser, EOF } from './chevrotain.js';
import * as T from './tokens.js';
import { MAX_NESTING_DEPTH } from './limits.js';

/**
 * Thrown when the input nests deeper than MAX_NESTING_DEPTH: the parse stops there instead of
 * overflowing the stack. `token` is where the level one too many starts.
 */
export class NestingTooDeep extends Error {
  constructor(readonly token: IToken) {
    super(`nesting deeper than ${MAX_NESTING_DEPTH} levels`);
    this.name = 'NestingTooDeep';
  }
}

function display(tokenType: TokenType): string {
  if (tokenType === EOF) return 'end of file';
  return tokenType.LABEL ?? tokenType.name;
}

/** Messages in the vocabulary of the language rather than of token class names. */
const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${display(expected)} but found ${actual.tokenType === EOF ? 'end of file' : `\`${actual.image}\``}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected \`${firstRedundant.image}\` at the top level (expected \`import\`, \`let\`, \`model\`, \`block\` or \`pipeline\`)`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    const found = actual[0];
    const what = !found || found.tokenType === EOF ? 'end of file' : `\`${found.image}\``;
    return `unexpected ${what} in ${describeRule(ruleName)}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    const found = actual[0];
    const what = !found || found.tokenType === EOF ? 'end of file' : `\`${found.image}\``;
    return `unexpected ${what} in ${describeRule(ruleName)}`;
  },
};

function describeRule(ruleName: string): string {
  return ruleName.replace(/([A-Z])/g, ' $1').toLowerCase().trim();
}

export class MatParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: 'full', maxLookahead: 3, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  /** Current syntactic nesting (see MAX_NESTING_DEPTH); reset with every new input. */
  private depth = 0;

  override reset(): void {
    super.reset();
    this.depth = 0;
  }

  /**
   * Parse one nesting level deeper. Every cycle of the grammar goes through a `deeper` call
   * (expression, prefix operators, `^` exponents, `repeat`), so the recursion is bounded.
   */
  private deeper(parse: () => void): void {
    if (++this.depth > MAX_NESTING_DEPTH && !this.RECORDING_PHASE) {
      throw new NestingTooDeep(this.LA(1));
    }
    try {
      parse();
    } finally {
      this.depth--;
    }
  }

  /** A file: imports, constants, model and block definitions, pipelines, in any order. */
  public file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.topLevelItem));
  });

  public topLevelItem = this.RULE('topLevelItem', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDeclaration) },
      { ALT: () => this.SUBRULE(this.letDeclaration) },
      { ALT: () => this.SUBRULE(this.moduleDefinition) },
      { ALT: () => this.SUBRULE(this.pipelineDefinition) },
    ]);
  });

  /** `import "models/resnet18.mat"` */
  public importDeclaration = this.RULE('importDeclaration', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  /** `let eps = 8/255`: a named compile-time constant. */
  public letDeclaration = this.RULE('letDeclaration', () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  /** `model resnet18(classes = 10) { ... }` or `block stage(a, b) = sequential { ... }` */
  public moduleDefinition = this.RULE('moduleDefinition', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Model) }, { ALT: () => this.CONSUME(T.Block) }]);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.parameterList));
    this.OR2([
      { ALT: () => { this.CONSUME(T.Equals); this.SUBRULE(this.expression); } },
      { ALT: () => this.SUBRULE(this.moduleBody) },
    ]);
  });

  public parameterList = this.RULE('parameterList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.parameter) });
    this.CONSUME(T.RParen);
  });

  /** `classes = 10`: a module parameter with an optional default. */
  public parameter = this.RULE('parameter', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => { this.CONSUME(T.Equals); this.SUBRULE(this.expression); });
  });

  public moduleBody = this.RULE('moduleBody', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.moduleMember));
    this.CONSUME(T.RCurly);
  });

  public moduleMember = this.RULE('moduleMember', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.letDeclaration) },
      { ALT: () => this.SUBRULE(this.forwardDefinition) },
      { ALT: () => this.SUBRULE(this.layerDeclaration) },
    ]);
  });

  /** `conv1 = conv(3, 64, kernel: 3)`: a named child layer (its name is the PyTorch attribute name). */
  public layerDeclaration = this.RULE('layerDeclaration', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  /** `forward(x) { let h = ...  return ... }` or `forward(x) = expression` */
  public forwardDefinition = this.RULE('forwardDefinition', () => {
    this.CONSUME(T.Forward);
    this.CONSUME(T.LParen);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.RParen);
    this.OR([
      { ALT: () => { this.CONSUME(T.Equals); this.SUBRULE(this.expression); } },
      {
        ALT: () => {
          this.CONSUME(T.LCurly);
          this.MANY(() => this.SUBRULE(this.letDeclaration));
          this.CONSUME(T.Return);
          this.SUBRULE2(this.expression);
          this.CONSUME(T.RCurly);
        },
      },
    ]);
  });

  /** `pipeline trades { ... }` */
  public pipelineDefinition = this.RULE('pipelineDefinition', () => {
    this.CONSUME(T.Pipeline);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.pipelineMember));
    this.CONSUME(T.RCurly);
  });

  public pipelineMember = this.RULE('pipelineMember', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.letDeclaration) },
      { ALT: () => this.SUBRULE(this.dataDeclaration) },
      { ALT: () => this.SUBRULE(this.modelInstance) },
      { ALT: () => this.SUBRULE(this.attackDeclaration) },
      { ALT: () => this.SUBRULE(this.minimizeDeclaration) },
      { ALT: () => this.SUBRULE(this.stateDeclaration) },
      { ALT: () => this.SUBRULE(this.scheduleDeclaration) },
      { ALT: () => this.SUBRULE(this.trainDeclaration) },
      { ALT: () => this.SUBRULE(this.evaluateDeclaration) },
    ]);
  });

  /** `data cifar10 { augment: [crop(4), flip] }` */
  public dataDeclaration = this.RULE('dataDeclaration', () => {
    this.CONSUME(T.Data);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.settingsBlock));
  });

  /** `model f = resnet18(classes: 10)`, optionally `{ weights: "robust.pt" }` */
  public modelInstance = this.RULE('modelInstance', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
    this.OPTION(() => this.SUBRULE(this.settingsBlock));
  });

  /** `attack adv = pgd(ball: linf(8/255), step: 2/255, steps: 10) { maximize ce(f(x + delta), y) }` */
  public attackDeclaration = this.RULE('attackDeclaration', () => {
    this.CONSUME(T.Attack);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
    this.CONSUME(T.LCurly);
    this.CONSUME(T.Maximize);
    this.SUBRULE2(this.expression);
    this.CONSUME(T.RCurly);
  });

  /** `minimize ce(f(adv), y)`: the outer objective. */
  public minimizeDeclaration = this.RULE('minimizeDeclaration', () => {
    this.CONSUME(T.Minimize);
    this.SUBRULE(this.expression);
  });

  /** `state p = ema(softmax(f(x)), momentum: 0.9, normalize: sum, from: epoch 90)` */
  public stateDeclaration = this.RULE('stateDeclaration', () => {
    this.CONSUME(T.State);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  /** `schedule w = 300 * sigmoid_ramp(epoch, 90, 150)` */
  public scheduleDeclaration = this.RULE('scheduleDeclaration', () => {
    this.CONSUME(T.Schedule);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  /** `train { epochs: 200, batch: 128, optimizer: sgd(lr: 0.1) }` */
  public trainDeclaration = this.RULE('trainDeclaration', () => {
    this.CONSUME(T.Train);
    this.SUBRULE(this.settingsBlock);
  });

  /** `evaluate final { attacks: [natural, pgd(steps: 20)] }`: the name is optional. */
  public evaluateDeclaration = this.RULE('evaluateDeclaration', () => {
    this.CONSUME(T.Evaluate);
    this.OPTION(() => this.CONSUME(T.Identifier));
    this.SUBRULE(this.settingsBlock);
  });

  public settingsBlock = this.RULE('settingsBlock', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.setting);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });

  /** `epochs: 200` */
  public setting = this.RULE('setting', () => {
    this.CONSUME(T.Word);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });

  // ---- expressions, loosest binding first ----

  public expression = this.RULE('expression', () => {
    this.deeper(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.conditionalExpression) },
        { ALT: () => this.SUBRULE(this.orExpression) },
      ]);
    });
  });

  /** `if stride != 1 then a else b` */
  public conditionalExpression = this.RULE('conditionalExpression', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Then);
    this.SUBRULE2(this.expression);
    this.CONSUME(T.Else);
    this.SUBRULE3(this.expression);
  });

  public orExpression = this.RULE('orExpression', () => {
    this.SUBRULE(this.andExpression);
    this.MANY(() => { this.CONSUME(T.Or); this.SUBRULE2(this.andExpression); });
  });

  public andExpression = this.RULE('andExpression', () => {
    this.SUBRULE(this.comparisonExpression);
    this.MANY(() => { this.CONSUME(T.And); this.SUBRULE2(this.comparisonExpression); });
  });

  /** Comparisons do not chain: `a < b < c` is a syntax error. */
  public comparisonExpression = this.RULE('comparisonExpression', () => {
    this.SUBRULE(this.additiveExpression);
    this.OPTION(() => { this.CONSUME(T.ComparisonOperator); this.SUBRULE2(this.additiveExpression); });
  });

  public additiveExpression = this.RULE('additiveExpression', () => {
    this.SUBRULE(this.multiplicativeExpression);
    this.MANY(() => { this.CONSUME(T.AdditiveOperator); this.SUBRULE2(this.multiplicativeExpression); });
  });

  public multiplicativeExpression = this.RULE('multiplicativeExpression', () => {
    this.SUBRULE(this.unaryExpression);
    this.MANY(() => { this.CONSUME(T.MultiplicativeOperator); this.SUBRULE2(this.unaryExpression); });
  });

  /** Prefix `-`, `+`, `not`. `-a^2` is `-(a^2)`, as in mathematics. */
  public unaryExpression = this.RULE('unaryExpression', () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.Minus); this.deeper(() => this.SUBRULE(this.unaryExpression)); } },
      { ALT: () => { this.CONSUME(T.Plus); this.deeper(() => this.SUBRULE2(this.unaryExpression)); } },
      { ALT: () => { this.CONSUME(T.Not); this.deeper(() => this.SUBRULE3(this.unaryExpression)); } },
      { ALT: () => this.SUBRULE(this.powerExpression) },
    ]);
  });

  /** `a ^ b`, right associative: `2^3^2` is `2^(3^2)`. */
  public powerExpression = this.RULE('powerExpression', () => {
    this.SUBRULE(this.postfixExpression);
    this.OPTION(() => { this.CONSUME(T.Caret); this.deeper(() => this.SUBRULE(this.unaryExpression)); });
  });

  /** Calls `f(x)` and member access `a.b`. */
  public postfixExpression = this.RULE('postfixExpression', () => {
    this.SUBRULE(this.primaryExpression);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.argumentList) },
        { ALT: () => { this.CONSUME(T.Dot); this.CONSUME(T.Identifier); } },
      ]);
    });
  });

  public argumentList = this.RULE('argumentList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
    this.CONSUME(T.RParen);
  });

  /** A positional argument `x` or a named one `steps: 10`. */
  public argument = this.RULE('argument', () => {
    this.OPTION(() => { this.CONSUME(T.Word); this.CONSUME(T.Colon); });
    this.SUBRULE(this.expression);
  });

  public primaryExpression = this.RULE('primaryExpression', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.None) },
      { ALT: () => this.SUBRULE(this.epochExpression) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.SUBRULE(this.parenthesizedExpression) },
      { ALT: () => this.SUBRULE(this.listExpression) },
      { ALT: () => this.SUBRULE(this.mapExpression) },
      { ALT: () => this.SUBRULE(this.sequentialExpression) },
    ]);
  });

  /** `epoch` (the current epoch, in schedules) or `epoch 90` (an epoch literal, e.g. `from: epoch 90`). */
  public epochExpression = this.RULE('epochExpression', () => {
    this.CONSUME(T.Epoch);
    this.OPTION(() => this.CONSUME(T.NumberLiteral));
  });

  public parenthesizedExpression = this.RULE('parenthesizedExpression', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  /** `[crop(4), flip]`; a trailing comma is allowed. */
  public listExpression = this.RULE('listExpression', () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.SUBRULE(this.expression);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  /** `{100: 0.01, 150: 0.001}`; keys are numbers, identifiers or strings. */
  public mapExpression = this.RULE('mapExpression', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.mapEntry);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });

  public mapEntry = this.RULE('mapEntry', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
    ]);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });

  /** `sequential { conv(1, 16, kernel: 3) relu repeat 2 { ... } }`: children numbered 0, 1, 2, ... */
  public sequentialExpression = this.RULE('sequentialExpression', () => {
    this.CONSUME(T.Sequential);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.sequentialEntry));
    this.CONSUME(T.RCurly);
  });

  public sequentialEntry = this.RULE('sequentialEntry', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.repeatEntry) },
      { ALT: () => this.SUBRULE(this.expression) },
    ]);
  });

  /** `repeat n - 1 { basic_block(planes, planes) }`: the entries, n times, numbered on. */
  public repeatEntry = this.RULE('repeatEntry', () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expression);
    this.CONSUME(T.LCurly);
    this.deeper(() => this.MANY(() => this.SUBRULE(this.sequentialEntry)));
    this.CONSUME(T.RCurly);
  });
}

/** One shared instance: Chevrotain parsers are reusable by resetting `input`. */
export const matParser = new MatParser();

export type { CstNode };
