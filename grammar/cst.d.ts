// Generated from grammar/parser.ts by grammar/cst-types.ts (scripts/gen-cst-types.ts). Do not edit.
// Every child is optional: with error recovery a node may lack even the parts its rule requires.
import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface FileCstNode extends CstNode {
  name: "file";
  children: FileCstChildren;
}

export type FileCstChildren = {
  topLevelItem?: TopLevelItemCstNode[];
};

export interface TopLevelItemCstNode extends CstNode {
  name: "topLevelItem";
  children: TopLevelItemCstChildren;
}

export type TopLevelItemCstChildren = {
  importDeclaration?: ImportDeclarationCstNode[];
  letDeclaration?: LetDeclarationCstNode[];
  moduleDefinition?: ModuleDefinitionCstNode[];
  pipelineDefinition?: PipelineDefinitionCstNode[];
};

export interface ImportDeclarationCstNode extends CstNode {
  name: "importDeclaration";
  children: ImportDeclarationCstChildren;
}

export type ImportDeclarationCstChildren = {
  Import?: IToken[];
  StringLiteral?: IToken[];
};

export interface LetDeclarationCstNode extends CstNode {
  name: "letDeclaration";
  children: LetDeclarationCstChildren;
}

export type LetDeclarationCstChildren = {
  Let?: IToken[];
  Identifier?: IToken[];
  Equals?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface ModuleDefinitionCstNode extends CstNode {
  name: "moduleDefinition";
  children: ModuleDefinitionCstChildren;
}

export type ModuleDefinitionCstChildren = {
  Model?: IToken[];
  Block?: IToken[];
  Identifier?: IToken[];
  parameterList?: ParameterListCstNode[];
  Equals?: IToken[];
  expression?: ExpressionCstNode[];
  moduleBody?: ModuleBodyCstNode[];
};

export interface ParameterListCstNode extends CstNode {
  name: "parameterList";
  children: ParameterListCstChildren;
}

export type ParameterListCstChildren = {
  LParen?: IToken[];
  parameter?: ParameterCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
};

export interface ParameterCstNode extends CstNode {
  name: "parameter";
  children: ParameterCstChildren;
}

export type ParameterCstChildren = {
  Identifier?: IToken[];
  Equals?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface ModuleBodyCstNode extends CstNode {
  name: "moduleBody";
  children: ModuleBodyCstChildren;
}

export type ModuleBodyCstChildren = {
  LCurly?: IToken[];
  moduleMember?: ModuleMemberCstNode[];
  RCurly?: IToken[];
};

export interface ModuleMemberCstNode extends CstNode {
  name: "moduleMember";
  children: ModuleMemberCstChildren;
}

export type ModuleMemberCstChildren = {
  letDeclaration?: LetDeclarationCstNode[];
  forwardDefinition?: ForwardDefinitionCstNode[];
  layerDeclaration?: LayerDeclarationCstNode[];
};

export interface LayerDeclarationCstNode extends CstNode {
  name: "layerDeclaration";
  children: LayerDeclarationCstChildren;
}

export type LayerDeclarationCstChildren = {
  Identifier?: IToken[];
  Equals?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface ForwardDefinitionCstNode extends CstNode {
  name: "forwardDefinition";
  children: ForwardDefinitionCstChildren;
}

export type ForwardDefinitionCstChildren = {
  Forward?: IToken[];
  LParen?: IToken[];
  Identifier?: IToken[];
  RParen?: IToken[];
  Equals?: IToken[];
  expression?: (ExpressionCstNode)[];
  LCurly?: IToken[];
  letDeclaration?: LetDeclarationCstNode[];
  Return?: IToken[];
  RCurly?: IToken[];
};

export interface PipelineDefinitionCstNode extends CstNode {
  name: "pipelineDefinition";
  children: PipelineDefinitionCstChildren;
}

export type PipelineDefinitionCstChildren = {
  Pipeline?: IToken[];
  Identifier?: IToken[];
  LCurly?: IToken[];
  pipelineMember?: PipelineMemberCstNode[];
  RCurly?: IToken[];
};

export interface PipelineMemberCstNode extends CstNode {
  name: "pipelineMember";
  children: PipelineMemberCstChildren;
}

export type PipelineMemberCstChildren = {
  letDeclaration?: LetDeclarationCstNode[];
  dataDeclaration?: DataDeclarationCstNode[];
  modelInstance?: ModelInstanceCstNode[];
  attackDeclaration?: AttackDeclarationCstNode[];
  minimizeDeclaration?: MinimizeDeclarationCstNode[];
  stateDeclaration?: StateDeclarationCstNode[];
  scheduleDeclaration?: ScheduleDeclarationCstNode[];
  trainDeclaration?: TrainDeclarationCstNode[];
  evaluateDeclaration?: EvaluateDeclarationCstNode[];
};

export interface DataDeclarationCstNode extends CstNode {
  name: "dataDeclaration";
  children: DataDeclarationCstChildren;
}

export type DataDeclarationCstChildren = {
  Data?: IToken[];
  Identifier?: IToken[];
  settingsBlock?: SettingsBlockCstNode[];
};

export interface ModelInstanceCstNode extends CstNode {
  name: "modelInstance";
  children: ModelInstanceCstChildren;
}

export type ModelInstanceCstChildren = {
  Model?: IToken[];
  Identifier?: IToken[];
  Equals?: IToken[];
  expression?: ExpressionCstNode[];
  settingsBlock?: SettingsBlockCstNode[];
};

export interface AttackDeclarationCstNode extends CstNode {
  name: "attackDeclaration";
  children: AttackDeclarationCstChildren;
}

export type AttackDeclarationCstChildren = {
  Attack?: IToken[];
  Identifier?: IToken[];
  Equals?: IToken[];
  expression?: (ExpressionCstNode)[];
  LCurly?: IToken[];
  Maximize?: IToken[];
  RCurly?: IToken[];
};

export interface MinimizeDeclarationCstNode extends CstNode {
  name: "minimizeDeclaration";
  children: MinimizeDeclarationCstChildren;
}

export type MinimizeDeclarationCstChildren = {
  Minimize?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface StateDeclarationCstNode extends CstNode {
  name: "stateDeclaration";
  children: StateDeclarationCstChildren;
}

export type StateDeclarationCstChildren = {
  State?: IToken[];
  Identifier?: IToken[];
  Equals?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface ScheduleDeclarationCstNode extends CstNode {
  name: "scheduleDeclaration";
  children: ScheduleDeclarationCstChildren;
}

export type ScheduleDeclarationCstChildren = {
  Schedule?: IToken[];
  Identifier?: IToken[];
  Equals?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface TrainDeclarationCstNode extends CstNode {
  name: "trainDeclaration";
  children: TrainDeclarationCstChildren;
}

export type TrainDeclarationCstChildren = {
  Train?: IToken[];
  settingsBlock?: SettingsBlockCstNode[];
};

export interface EvaluateDeclarationCstNode extends CstNode {
  name: "evaluateDeclaration";
  children: EvaluateDeclarationCstChildren;
}

export type EvaluateDeclarationCstChildren = {
  Evaluate?: IToken[];
  Identifier?: IToken[];
  settingsBlock?: SettingsBlockCstNode[];
};

export interface SettingsBlockCstNode extends CstNode {
  name: "settingsBlock";
  children: SettingsBlockCstChildren;
}

export type SettingsBlockCstChildren = {
  LCurly?: IToken[];
  setting?: SettingCstNode[];
  Comma?: IToken[];
  RCurly?: IToken[];
};

export interface SettingCstNode extends CstNode {
  name: "setting";
  children: SettingCstChildren;
}

export type SettingCstChildren = {
  Word?: IToken[];
  Colon?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface ExpressionCstNode extends CstNode {
  name: "expression";
  children: ExpressionCstChildren;
}

export type ExpressionCstChildren = {
  conditionalExpression?: ConditionalExpressionCstNode[];
  orExpression?: OrExpressionCstNode[];
};

export interface ConditionalExpressionCstNode extends CstNode {
  name: "conditionalExpression";
  children: ConditionalExpressionCstChildren;
}

export type ConditionalExpressionCstChildren = {
  If?: IToken[];
  expression?: (ExpressionCstNode)[];
  Then?: IToken[];
  Else?: IToken[];
};

export interface OrExpressionCstNode extends CstNode {
  name: "orExpression";
  children: OrExpressionCstChildren;
}

export type OrExpressionCstChildren = {
  andExpression?: (AndExpressionCstNode)[];
  Or?: IToken[];
};

export interface AndExpressionCstNode extends CstNode {
  name: "andExpression";
  children: AndExpressionCstChildren;
}

export type AndExpressionCstChildren = {
  comparisonExpression?: (ComparisonExpressionCstNode)[];
  And?: IToken[];
};

export interface ComparisonExpressionCstNode extends CstNode {
  name: "comparisonExpression";
  children: ComparisonExpressionCstChildren;
}

export type ComparisonExpressionCstChildren = {
  additiveExpression?: (AdditiveExpressionCstNode)[];
  ComparisonOperator?: IToken[];
};

export interface AdditiveExpressionCstNode extends CstNode {
  name: "additiveExpression";
  children: AdditiveExpressionCstChildren;
}

export type AdditiveExpressionCstChildren = {
  multiplicativeExpression?: (MultiplicativeExpressionCstNode)[];
  AdditiveOperator?: IToken[];
};

export interface MultiplicativeExpressionCstNode extends CstNode {
  name: "multiplicativeExpression";
  children: MultiplicativeExpressionCstChildren;
}

export type MultiplicativeExpressionCstChildren = {
  unaryExpression?: (UnaryExpressionCstNode)[];
  MultiplicativeOperator?: IToken[];
};

export interface UnaryExpressionCstNode extends CstNode {
  name: "unaryExpression";
  children: UnaryExpressionCstChildren;
}

export type UnaryExpressionCstChildren = {
  Minus?: IToken[];
  unaryExpression?: (UnaryExpressionCstNode)[];
  Plus?: IToken[];
  Not?: IToken[];
  powerExpression?: PowerExpressionCstNode[];
};

export interface PowerExpressionCstNode extends CstNode {
  name: "powerExpression";
  children: PowerExpressionCstChildren;
}

export type PowerExpressionCstChildren = {
  postfixExpression?: PostfixExpressionCstNode[];
  Caret?: IToken[];
  unaryExpression?: UnaryExpressionCstNode[];
};

export interface PostfixExpressionCstNode extends CstNode {
  name: "postfixExpression";
  children: PostfixExpressionCstChildren;
}

export type PostfixExpressionCstChildren = {
  primaryExpression?: PrimaryExpressionCstNode[];
  argumentList?: ArgumentListCstNode[];
  Dot?: IToken[];
  Identifier?: IToken[];
};

export interface ArgumentListCstNode extends CstNode {
  name: "argumentList";
  children: ArgumentListCstChildren;
}

export type ArgumentListCstChildren = {
  LParen?: IToken[];
  argument?: ArgumentCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
};

export interface ArgumentCstNode extends CstNode {
  name: "argument";
  children: ArgumentCstChildren;
}

export type ArgumentCstChildren = {
  Word?: IToken[];
  Colon?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface PrimaryExpressionCstNode extends CstNode {
  name: "primaryExpression";
  children: PrimaryExpressionCstChildren;
}

export type PrimaryExpressionCstChildren = {
  NumberLiteral?: IToken[];
  StringLiteral?: IToken[];
  True?: IToken[];
  False?: IToken[];
  None?: IToken[];
  epochExpression?: EpochExpressionCstNode[];
  Identifier?: IToken[];
  parenthesizedExpression?: ParenthesizedExpressionCstNode[];
  listExpression?: ListExpressionCstNode[];
  mapExpression?: MapExpressionCstNode[];
  sequentialExpression?: SequentialExpressionCstNode[];
};

export interface EpochExpressionCstNode extends CstNode {
  name: "epochExpression";
  children: EpochExpressionCstChildren;
}

export type EpochExpressionCstChildren = {
  Epoch?: IToken[];
  NumberLiteral?: IToken[];
};

export interface ParenthesizedExpressionCstNode extends CstNode {
  name: "parenthesizedExpression";
  children: ParenthesizedExpressionCstChildren;
}

export type ParenthesizedExpressionCstChildren = {
  LParen?: IToken[];
  expression?: ExpressionCstNode[];
  RParen?: IToken[];
};

export interface ListExpressionCstNode extends CstNode {
  name: "listExpression";
  children: ListExpressionCstChildren;
}

export type ListExpressionCstChildren = {
  LBracket?: IToken[];
  expression?: ExpressionCstNode[];
  Comma?: IToken[];
  RBracket?: IToken[];
};

export interface MapExpressionCstNode extends CstNode {
  name: "mapExpression";
  children: MapExpressionCstChildren;
}

export type MapExpressionCstChildren = {
  LCurly?: IToken[];
  mapEntry?: MapEntryCstNode[];
  Comma?: IToken[];
  RCurly?: IToken[];
};

export interface MapEntryCstNode extends CstNode {
  name: "mapEntry";
  children: MapEntryCstChildren;
}

export type MapEntryCstChildren = {
  NumberLiteral?: IToken[];
  Identifier?: IToken[];
  StringLiteral?: IToken[];
  Colon?: IToken[];
  expression?: ExpressionCstNode[];
};

export interface SequentialExpressionCstNode extends CstNode {
  name: "sequentialExpression";
  children: SequentialExpressionCstChildren;
}

export type SequentialExpressionCstChildren = {
  Sequential?: IToken[];
  LCurly?: IToken[];
  sequentialEntry?: SequentialEntryCstNode[];
  RCurly?: IToken[];
};

export interface SequentialEntryCstNode extends CstNode {
  name: "sequentialEntry";
  children: SequentialEntryCstChildren;
}

export type SequentialEntryCstChildren = {
  repeatEntry?: RepeatEntryCstNode[];
  expression?: ExpressionCstNode[];
};

export interface RepeatEntryCstNode extends CstNode {
  name: "repeatEntry";
  children: RepeatEntryCstChildren;
}

export type RepeatEntryCstChildren = {
  Repeat?: IToken[];
  expression?: ExpressionCstNode[];
  LCurly?: IToken[];
  sequentialEntry?: SequentialEntryCstNode[];
  RCurly?: IToken[];
};
