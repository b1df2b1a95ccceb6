/**
 * Located load errors. Every problem found in a scenario file is collected (never thrown) with a
 * stable code, a 1-based line:col and the path inside the document, and all errors of a file are
 * reported at once, rustc/Hurl style.
 */
export type LoadErrorCode =
  | 'READ_FAILED' // file cannot be read
  | 'FILE_TOO_LARGE' // over the byte cap
  | 'YAML_SYNTAX' // parser error (bad indentation, duplicate key, ...)
  | 'ALIAS_LIMIT' // alias expansion over maxAliasCount (alias bombs)
  | 'FORBIDDEN_KEY' // __proto__ / constructor / prototype
  | 'PRECISION_LOSS' // plain YAML integer at or above 2^53
  | 'VALUE_TOO_WIDE' // integer beyond 64 bits
  | 'UNKNOWN_KEY' // key not in the schema (with did-you-mean)
  | 'MISSING_KEY' // required key absent
  | 'BAD_TYPE' // wrong JSON type
  | 'BAD_VALUE' // out of range, bad pattern, not one of an enum (with did-you-mean)
  | 'UNKNOWN_FEATURE' // requires/features name not on the central list
  | 'BAD_STEP' // a step that is not exactly one known kind
  | 'UNKNOWN_REFERENCE' // device/table/cd_table name that is not declared
  | 'UNKNOWN_RULE' // covers: id not in src/scenario/rules.ts
  | 'DUPLICATE_NAME' // two declarations with one name, or two devices with one StreamID
  | 'CONFLICT' // keys that exclude each other, or a required alternative missing
  | 'NAME_MISMATCH' // `name:` differs from the path under scenarios/
  | 'CAP_EXCEEDED' // more steps / map entries / raw words than the configured caps
  | 'PROFILE_RULE'; // an SMMU profile the architecture does not allow (src/smmu/profile-rules.ts)

export interface LoadError {
  readonly code: LoadErrorCode;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  /** Location inside the document, e.g. `steps[3].dma.device`; '' for the whole document. */
  readonly path: string;
  readonly message: string;
}

/** `file:line:col: error[CODE] at path: message`, then the source line and a caret. */
export function formatLoadError(e: LoadError, source?: string): string {
  const where = e.path === '' ? '' : ` at ${e.path}`;
  const head = `${e.file}:${e.line}:${e.col}: error[${e.code}]${where}: ${e.message}`;
  if (source === undefined) return head;
  const text = source.split(/\r?\n/)[e.line - 1];
  if (text === undefined) return head;
  const gutter = String(e.line).length;
  return `${head}\n${' '.repeat(gutter)} |\n${e.line} | ${text}\n${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, e.col - 1))}^`;
}

/** Human path from JSON-pointer-like segments: ['steps', 3, 'dma'] -> `steps[3].dma`. */
export function pathString(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}
