/**
 * The built-in functions of objectives, states and schedules, by name (docs/language.md defines
 * them). A call in the typed tree names its function with one of these; what each means (its
 * signature, type rule, lowering and host value) is its entry in src/builtins/, whose table must
 * have exactly these keys (its type says so).
 */
export type FunctionName =
  | 'ce' | 'kl' | 'mse'
  | 'softmax' | 'log_softmax'
  | 'sum' | 'mean' | 'norm'
  | 'stop_gradient' | 'exp' | 'log' | 'abs' | 'sqrt' | 'cos'
  | 'max' | 'min'
  | 'ramp' | 'sigmoid_ramp';
