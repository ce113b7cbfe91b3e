/**
 * Errors raised while locating or parsing a dataset. The message is meant to be shown to the
 * user as is (the CLI prints `error.message` without a stack), so it always names the path
 * involved and says what was expected or what to do next.
 */
export class DataError extends Error {
  /** The file or folder the problem is about, when there is one. */
  readonly path: string | undefined;

  constructor(message: string, path?: string) {
    super(message);
    this.name = 'DataError';
    this.path = path;
  }
}

/** A file exists but its contents are not what the format requires. */
export function corruptFile(file: string, problem: string, hint?: string): DataError {
  const tail = hint ?? 'The file may be truncated or from another format; download it again.';
  return new DataError(`Corrupt dataset file ${file}: ${problem}. ${tail}`, file);
}

/**
 * A well-formed file that holds no examples (or images of zero pixels). Refused at load: a run on
 * it would "succeed" with accuracies of an empty set.
 */
export function noExamples(file: string, dims: readonly number[]): DataError {
  return new DataError(
    `Dataset file ${file} holds no examples (its dimensions are ${dims.join('x')}); matc needs at least one example of at least one pixel to train or evaluate on. Download the file again or point matc at a complete copy.`,
    file,
  );
}

/** A byte count for messages: plain digits (easy to compare with `ls -l`) and a unit. */
export function describeBytes(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`;
}
