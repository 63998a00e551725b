/**
 * `math-answer` reward: 1 when the final answer of a response equals the gold answer, else 0.
 *
 * Extraction (first rule that applies):
 *   1. the LAST `\boxed{...}` / `\fbox{...}` (balanced braces; escaped `\{ \}` are not counted),
 *      or `\boxed 5` without braces;
 *   2. the last GSM8K-style `#### x` line;
 *   3. the last "the (final) answer is x" / "final answer: x" phrase (up to the end of the line);
 *   4. the last number in the text.
 *
 * Normalisation (both sides, then exact string comparison; see `normalizeAnswer`): in the spirit
 * of Hendrycks et al.'s MATH `strip_string`, plus a few rules for model-style answers:
 *   - drop `$`, `\$`, `\!`, `\,`, `\;`, `\:`, `\ `, `~`, `\left`/`\right`, `\displaystyle`,
 *     degree marks (`^\circ`, `°`), `\%`/`%`, all whitespace, a trailing period;
 *   - unit text: a `\text{ unit}` / `\mbox{ unit}` with a leading space (MATH's convention for
 *     units), and trailing unit words after a number ("dollars", "cm^2", "degrees", ...);
 *   - `\text{X}`, `\textbf{X}`, `\mbox{X}`, `\mathrm{X}` -> X; `(B)` -> B for multiple choice;
 *   - `\dfrac`/`\tfrac` -> `\frac`; `\frac34`, `\frac 34`, `\frac9{19}` -> `\frac{3}{4}` ...;
 *     `a/b` with integers -> `\frac{a}{b}`; `\sqrt2` -> `\sqrt{2}`; `x^{2}` -> `x^2`, `_{5}` -> `_5`;
 *   - a leading `x =`, `y=` (single-letter variable, or `x \in`);
 *   - numbers: thousands separators (`1,000`, `10{,}080`, `11,\!111`), `.5` -> `0.5`, trailing
 *     zeros (`18.90` -> `18.9`, `3.0` -> `3`);
 *   - words (answers made only of letters) are compared case-insensitively.
 * After normalisation two answers match when the strings are equal, or both evaluate to numbers
 * (integers, decimals, `\frac{a}{b}`, `a/b`, mixed numbers `1\frac{4}{5}`) equal within a relative
 * tolerance of 1e-6, or both are top-level comma lists of the same answers in any order
 * ("1,-2" = "-2,1"; bracketed tuples/intervals stay ordered).
 */
import { z } from 'zod';
import { missingReference } from './common';
import { defineReward } from './define';

/** Content of the last `\boxed{...}` (or `\fbox{...}`), or undefined. */
export function lastBoxed(text: string): string | undefined {
  const re = /\\(?:boxed|fbox)\b/g;
  let start = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) start = m.index + m[0].length;
  if (start < 0) return undefined;
  let i = start;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] !== '{') {
    // `\boxed 5` form: up to the next `$`, whitespace or end
    const m = /^[^\s$]+/.exec(text.slice(i));
    return m ? m[0] : undefined;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') {
      j++; // skip escaped char (`\{`, `\}`, `\\`)
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return text.slice(i + 1, j);
    }
  }
  return undefined; // unbalanced
}

// a minus sign counts only when it is not a hyphen/operator after a word or number ("3-4" -> 4)
const NUMBER_RE = /(?:(?<![\w)}.])-)?(?:\d[\d,]*(?:\.\d+)?|\.\d+)/g;

/** The final answer of a model response, as written (not normalised); undefined if none found. */
export function extractAnswer(text: string): string | undefined {
  const boxed = lastBoxed(text);
  if (boxed !== undefined && boxed.trim() !== '') return boxed.trim();

  const hashes = [...text.matchAll(/####\s*([^\n]*)/g)];
  if (hashes.length) {
    const v = hashes[hashes.length - 1][1].trim();
    if (v) return v;
  }

  const phrase = [
    ...text.matchAll(/(?:the\s+(?:final\s+)?answer\s+is|final\s+answer\s*(?:is)?\s*[:：])\s*:?\s*([^\n]*)/gi),
  ];
  if (phrase.length) {
    let v = phrase[phrase.length - 1][1].trim();
    // keep the first sentence: cut at ". " / "; " that ends it (not a decimal point)
    v = v.replace(/([.;!?])\s+[A-Z(].*$/, '$1');
    const math = /^\$\$?((?:\\\$|[^$])+)\$/.exec(v); // "$\frac{1}{2}$." -> inside the dollars
    if (math) v = math[1];
    v = v.replace(/[.;!?,]+\s*$/, '').replace(/^\*+|\*+$/g, '').trim();
    if (v) return v;
  }

  const nums = text.match(NUMBER_RE);
  if (nums && nums.length) return nums[nums.length - 1].replace(/,/g, '');
  return undefined;
}

/** The reference answer: a bare gold answer is used as is; a full solution has its answer extracted. */
export function referenceAnswer(reference: string): string {
  if (/\\boxed|\\fbox|####/.test(reference)) return extractAnswer(reference) ?? reference;
  return reference;
}

const UNIT_WORDS = [
  'dollars?',
  'cents?',
  'units?',
  'square\\s+(?:units?|feet|foot|inches|inch|meters?|centimeters?|miles?|yards?)',
  'sq\\.?\\s*(?:units?|ft|in|m|cm)',
  'cubic\\s+(?:units?|feet|inches|meters?|centimeters?)',
  'degrees?',
  'radians?',
  'inches',
  'inch',
  'feet',
  'foot',
  'ft',
  'miles?',
  'mph',
  'yards?',
  'meters?',
  'centimeters?',
  'millimeters?',
  'kilometers?',
  'km',
  'cm',
  'mm',
  'kg',
  'grams?',
  'pounds?',
  'lbs?',
  'ounces?',
  'oz',
  'liters?',
  'gallons?',
  'hours?',
  'hrs?',
  'minutes?',
  'mins?',
  'seconds?',
  'secs?',
  'days?',
  'weeks?',
  'months?',
  'years?',
  'years\\s+old',
  'people',
  'persons?',
  'students?',
  'percent',
  'points?',
  'times',
  'ways',
  'items?',
  'pieces?',
  'apples?',
  'eggs?',
  'books?',
  'boxes',
  'cookies?',
];
const UNIT_TAIL_RE = new RegExp(`^(.*?\\d\\}?)\\s*(?:${UNIT_WORDS.join('|')})(?:\\^\\{?[23]\\}?|²|³)?\\.?$`, 'i');

/** Replaces `\cmd{X}` (balanced) by X for the given commands. */
function unwrapCommand(s: string, cmds: string[]): string {
  const re = new RegExp(`\\\\(?:${cmds.join('|')})\\s*\\{`, 'g');
  for (;;) {
    re.lastIndex = 0;
    const m = re.exec(s);
    if (!m) return s;
    const open = m.index + m[0].length - 1;
    let depth = 0;
    let close = -1;
    for (let j = open; j < s.length; j++) {
      if (s[j] === '\\') {
        j++;
        continue;
      }
      if (s[j] === '{') depth++;
      else if (s[j] === '}' && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close < 0) return s.slice(0, m.index) + s.slice(open + 1); // unbalanced: drop the command
    s = s.slice(0, m.index) + s.slice(open + 1, close) + s.slice(close + 1);
  }
}

/** `\frac34`, `\frac 3 4`, `\frac9{19}`, `\frac{270}7` -> `\frac{3}{4}` ... */
function braceFracs(s: string): string {
  // arguments: a `{...}` group (one level of nesting) or a single character / command-free token
  const arg = String.raw`(\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[^\s{}\\])`;
  const re = new RegExp(String.raw`\\frac\s*${arg}\s*${arg}`, 'g');
  let prev: string;
  do {
    prev = s;
    s = s.replace(re, (_m, a: string, b: string) => `\\frac{${unbrace(a)}}{${unbrace(b)}}`);
  } while (s !== prev);
  return s;
}
function unbrace(a: string): string {
  return a.startsWith('{') && a.endsWith('}') ? a.slice(1, -1) : a;
}

function canonicalNumber(s: string): string {
  // s matches /^-?(\d+(\.\d*)?|\.\d+)$/
  let neg = s.startsWith('-');
  let body = neg ? s.slice(1) : s;
  if (body.startsWith('.')) body = `0${body}`;
  if (body.includes('.')) body = body.replace(/0+$/, '').replace(/\.$/, '');
  body = body.replace(/^0+(?=\d)/, '');
  if (/^0(\.0*)?$/.test(body)) neg = false;
  return (neg ? '-' : '') + body;
}

/** Canonical string form of an answer (see the module comment for the rules). */
export function normalizeAnswer(answer: string): string {
  let s = answer.trim();

  // wrappers and spacing commands
  s = s.replace(/^\$+|\$+$/g, '');
  s = s.replace(/\\\$/g, '').replace(/\$/g, '');
  s = s.replace(/\\displaystyle/g, '');
  s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)\s*(?=[()[\]|.]|\\[{}|])/g, '');
  s = s.replace(/\\left\./g, '').replace(/\\right\./g, '');
  s = s.replace(/\\\\|\\[!,;:> ]/g, (m) => (m === '\\\\' ? m : ' ')).replace(/~/g, ' ');
  s = s.replace(/\\(?:q?quad)\b/g, ' ');
  s = s.replace(/\{,\}/g, ',');
  s = s.replace(/\\(?:dfrac|tfrac|cfrac)/g, '\\frac');
  s = s.replace(/\\bmatrix\b|\bbmatrix\b/g, 'pmatrix');
  s = s.replace(/\\emptyset/g, '\\varnothing');
  s = s.replace(/\\le(?!ft)\b/g, '\\leq').replace(/\\ge\b/g, '\\geq');

  // degrees and percent
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?/g, '').replace(/\\circ/g, '').replace(/°/g, '');
  s = s.replace(/\\%|%/g, '');

  // unit text in \text{ ...} / \mbox{ ...} with a leading space (MATH convention), with ^2 / ^3
  s = s.replace(/\\(?:text|mbox|textrm|mathrm)\s*\{\s+[^{}]*\}(?:\s*\^\s*\{?[23]\}?)?/g, '');
  // also \text{cm} directly after a number
  s = s.replace(new RegExp(String.raw`(\d\}?)\s*\\(?:text|mbox|textrm|mathrm)\s*\{\s*(?:${UNIT_WORDS.join('|')})\s*\}(?:\s*\^\s*\{?[23]\}?)?`, 'gi'), '$1');
  s = unwrapCommand(s, ['text', 'textbf', 'textit', 'textrm', 'mbox', 'mathrm', 'mathbf', 'mathit', 'operatorname', 'boxed']);
  s = s.trim();

  // trailing unit words after a number: "18 dollars", "15 cm^2", "5.4 cents"
  for (let k = 0; k < 2; k++) {
    const u = UNIT_TAIL_RE.exec(s);
    if (u) s = u[1].trim();
  }

  // trailing period / punctuation
  s = s.replace(/[.。]+$/, '').trim();

  // leading "x =", "y=", "x \in" (single variable); "answer:" prefixes
  s = s.replace(/^(?:answer|ans)\s*[:=]\s*/i, '');
  s = s.replace(/^[a-zA-Z](?:_\{?\w+\}?)?\s*(?:=|\\in\b)\s*(?!=)/, '');

  // structure
  s = braceFracs(s);
  s = s.replace(/\\sqrt\s*([^\s{\\[])/g, '\\sqrt{$1}');
  s = s.replace(/([\^_])\{(\w)\}/g, '$1$2');

  // whitespace
  s = s.replace(/\s+/g, '');

  // thousands separators in a bare number
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  // plain numbers
  if (/^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(s)) s = canonicalNumber(s);
  // a/b with integers -> \frac{a}{b}
  const slash = /^(-?)(\d+)\/(\d+)$/.exec(s);
  if (slash) s = `${slash[1]}\\frac{${slash[2]}}{${slash[3]}}`;
  // (B) -> B
  const choice = /^\(([A-Ea-e])\)$/.exec(s);
  if (choice) s = choice[1].toUpperCase();
  // pure words compare case-insensitively
  if (/^[A-Za-z]{2,}$/.test(s)) s = s.toLowerCase();
  // redundant outer braces
  while (/^\{[^{}]*\}$/.test(s)) s = s.slice(1, -1);
  return s;
}

/** Numeric value of a normalised answer, or undefined when it is not a plain number. */
export function numericValue(norm: string): number | undefined {
  if (/^-?\d+(?:\.\d+)?$/.test(norm)) return Number(norm);
  let m = /^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$/.exec(norm);
  if (m) {
    const d = Number(m[3]);
    return d === 0 ? undefined : (m[1] ? -1 : 1) * (Number(m[2]) / d);
  }
  m = /^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/.exec(norm); // mixed number 1\frac{4}{5}
  if (m) {
    const d = Number(m[4]);
    return d === 0 ? undefined : (m[1] ? -1 : 1) * (Number(m[2]) + Number(m[3]) / d);
  }
  return undefined;
}

function numbersEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Splits at top-level commas (outside (), [], {}), or returns undefined if there is none. */
function topLevelList(s: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(last, i));
      last = i + 1;
    }
  }
  if (!parts.length) return undefined;
  parts.push(s.slice(last));
  return parts;
}

function normalizedMatch(a: string, b: string, depth = 0): boolean {
  if (a === b) return true;
  const x = numericValue(a);
  const y = numericValue(b);
  if (x !== undefined && y !== undefined) return numbersEqual(x, y);
  if (depth === 0) {
    const la = topLevelList(a);
    const lb = topLevelList(b);
    if (la && lb && la.length === lb.length) {
      const rest = [...lb];
      for (const item of la) {
        const k = rest.findIndex((r) => normalizedMatch(normalizeAnswer(item), normalizeAnswer(r), 1));
        if (k < 0) return false;
        rest.splice(k, 1);
      }
      return true;
    }
  }
  return false;
}

/** True when two answers (raw, as written) are equivalent after normalisation. */
export function answersMatch(predicted: string, gold: string): boolean {
  return normalizedMatch(normalizeAnswer(predicted), normalizeAnswer(gold));
}

/** 1 if the response's final answer matches the reference answer, else 0 (no answer found: 0). */
export function mathAnswerScore(response: string, reference: string): number {
  const predicted = extractAnswer(response);
  if (predicted === undefined) return 0;
  return answersMatch(predicted, referenceAnswer(reference)) ? 1 : 0;
}

export const mathAnswerReward = defineReward({
  type: 'math-answer',
  summary:
    'Final answer of the response against `dataset.referenceField` (exact match after normalisation): 1 or 0',
  schema: () => z.object({ type: z.literal('math-answer') }).strict(),
  needsReference: () => true,
  create: () => async (_spec, args) => {
    if (args.reference === undefined || args.reference.trim() === '') throw missingReference('math-answer', args.promptId);
    return mathAnswerScore(args.response, args.reference);
  },
});
