/**
 * JSON as rbmlab's files need it: JSON.parse, plus a refusal of duplicate keys.
 *
 * JSON.parse keeps the last of two equal keys in an object without a word, so a model or study
 * file with `"seed": 1, ..., "seed": 2` would silently mean seed 2 (RFC 8259 leaves duplicates'
 * meaning undefined). rbmlab's readers refuse them instead, naming the key, where it is (a path
 * such as `grid.alpha` or `hidden`) and its line. The scan uses Microsoft's jsonc-parser visitor
 * (no dependencies; the parser of VS Code's JSON support) over text JSON.parse has accepted.
 */
import { visit } from 'jsonc-parser';

/** A file's JSON repeats a key within one object. */
export class DuplicateKeyError extends SyntaxError {
  override readonly name = 'DuplicateKeyError';
  constructor(
    readonly key: string,
    /** Where the object is: "" for the top level, else a dotted path such as "grid" or "layers.0". */
    readonly where: string,
    readonly line: number,
  ) {
    super(`duplicate key ${JSON.stringify(key)} ${where === '' ? 'at the top level' : `in ${where}`} (line ${line}; which one is meant is not said)`);
  }
}

/** Parses JSON text (a leading byte-order mark is skipped); SyntaxError for bad JSON, DuplicateKeyError for a repeated key. */
export function parseJson(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const value: unknown = JSON.parse(body);
  // only objects can repeat a key; a file that is one number array (weights) needs no scan
  if (body.includes('{')) refuseDuplicateKeys(body);
  return value;
}

/** Throws DuplicateKeyError at the first key that repeats within its object. */
export function refuseDuplicateKeys(text: string): void {
  // one Set of keys per open object; arrays push null so that the stack mirrors the nesting
  const open: (Set<string> | null)[] = [];
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onArrayBegin: () => {
      open.push(null);
    },
    onArrayEnd: () => {
      open.pop();
    },
    onObjectProperty: (key, _offset, _length, startLine, _startCharacter, pathSupplier) => {
      const keys = open[open.length - 1];
      if (keys === null || keys === undefined) return;
      if (keys.has(key)) throw new DuplicateKeyError(key, pathSupplier().join('.'), startLine + 1);
      keys.add(key);
    },
  });
}

/** The one-line reason a file's text is not acceptable JSON: the duplicate key, or JSON.parse's complaint. */
export function jsonProblem(err: unknown): string {
  if (err instanceof DuplicateKeyError) return err.message;
  return `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
}
