/**
 * serde_json's text for a request body that is not JSON, as Qdrant answers it ("expected `:` at
 * line 1 column 10"): a small validating scanner that stops where serde_json stops, with its
 * wording (serde_json's ErrorCode messages) and position (1-based column of the offending
 * character; at the end of input, the column of the last character).
 */

class SyntaxFailure extends Error {
  constructor(readonly code: string, readonly at: number) {
    super(code);
  }
}

class Scanner {
  i = 0;
  constructor(readonly text: string) {}

  fail(code: string, at = this.i): never {
    throw new SyntaxFailure(code, at);
  }

  /** Skips whitespace; returns the next character ('' at the end). */
  peek(): string {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
    return this.text[this.i] ?? '';
  }

  value(): void {
    const ch = this.peek();
    if (ch === '') this.fail('EOF while parsing a value', this.text.length - 1);
    if (ch === '{') return this.object();
    if (ch === '[') return this.list();
    if (ch === '"') return this.string();
    if (ch === '-' || (ch >= '0' && ch <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (ch !== word[0]) continue;
      for (let k = 0; k < word.length; k++, this.i++) {
        if (this.i >= this.text.length) this.fail('EOF while parsing a value', this.i - 1);
        if (this.text[this.i] !== word[k]) this.fail('expected ident');
      }
      return;
    }
    this.fail('expected value');
  }

  /** serde stops at the first character that cannot continue the number. */
  number(): void {
    const t = this.text;
    const digit = (k: number) => t[k] !== undefined && t[k]! >= '0' && t[k]! <= '9';
    const need = (k: number) => {
      if (k >= t.length) this.fail('EOF while parsing a value', t.length - 1);
      if (!digit(k)) this.fail('invalid number', k);
    };
    let j = this.i;
    if (t[j] === '-') j++;
    need(j);
    if (t[j] === '0') j++;
    else while (digit(j)) j++;
    if (t[j] === '.') {
      need(++j);
      while (digit(j)) j++;
    }
    if (t[j] === 'e' || t[j] === 'E') {
      j++;
      if (t[j] === '+' || t[j] === '-') j++;
      need(j);
      while (digit(j)) j++;
    }
    this.i = j;
  }

  string(): void {
    for (this.i++; ; this.i++) {
      if (this.i >= this.text.length) this.fail('EOF while parsing a string', this.text.length - 1);
      const ch = this.text[this.i]!;
      if (ch === '"') return void this.i++;
      if (ch < ' ') this.fail('control character (\\u0000-\\u001F) found while parsing a string');
      if (ch === '\\') {
        this.i++;
        if (!'"\\/bfnrtu'.includes(this.text[this.i] ?? '')) this.fail(this.i >= this.text.length ? 'EOF while parsing a string' : 'invalid escape');
      }
    }
  }

  list(): void {
    this.i++;
    if (this.peek() === ']') return void this.i++;
    for (;;) {
      this.value();
      const ch = this.peek();
      if (ch === ']') return void this.i++;
      if (ch === '') this.fail('EOF while parsing a list', this.text.length - 1);
      if (ch !== ',') this.fail('expected `,` or `]`');
      this.i++;
      if (this.peek() === ']') this.fail('trailing comma');
    }
  }

  object(): void {
    this.i++;
    if (this.peek() === '}') return void this.i++;
    for (;;) {
      const key = this.peek();
      if (key === '') this.fail('EOF while parsing an object', this.text.length - 1);
      if (key !== '"') this.fail('key must be a string');
      this.string();
      const colon = this.peek();
      if (colon === '') this.fail('EOF while parsing an object', this.text.length - 1);
      if (colon !== ':') this.fail('expected `:`');
      this.i++;
      this.value();
      const ch = this.peek();
      if (ch === '}') return void this.i++;
      if (ch === '') this.fail('EOF while parsing an object', this.text.length - 1);
      if (ch !== ',') this.fail('expected `,` or `}`');
      this.i++;
      if (this.peek() === '}') this.fail('trailing comma');
    }
  }
}

/** ` at line L column C` for a 0-based offset into `text`, as serde_json prints positions. */
export function serdePosition(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset) + 1);
  return ` at line ${before.split('\n').length} column ${offset + 1 - (before.lastIndexOf('\n') + 1)}`;
}

/**
 * The offset of the first non-blank character after element `index` of the list under top-level
 * `key` (where serde_json stands when that element fails to deserialize), or undefined when the
 * body has no such element.
 */
export function afterListElement(text: string, key: string, index: number): number | undefined {
  const s = new Scanner(text);
  try {
    if (s.peek() !== '{') return undefined;
    s.i++;
    while (s.peek() === '"') {
      const start = s.i;
      s.string();
      const name = JSON.parse(text.slice(start, s.i)) as string;
      if (s.peek() !== ':') return undefined;
      s.i++;
      if (name === key) return elementEnd(s, index);
      s.value();
      if (s.peek() !== ',') return undefined;
      s.i++;
    }
  } catch (err) {
    if (!(err instanceof SyntaxFailure)) throw err;
  }
  return undefined;
}

function elementEnd(s: Scanner, index: number): number | undefined {
  if (s.peek() !== '[') return undefined;
  s.i++;
  for (let n = 0; s.peek() !== ']'; n++) {
    s.value();
    // serde has looked past the whitespace for the `,` or `]` when the element's error surfaces.
    s.peek();
    if (n === index) return s.i;
    if (s.peek() !== ',') return undefined;
    s.i++;
  }
  return undefined;
}

/** serde_json's message for `text`, or undefined when serde_json would parse it. */
export function serdeSyntaxError(text: string): string | undefined {
  const s = new Scanner(text);
  try {
    s.value();
    if (s.peek() !== '') s.fail('trailing characters');
    return undefined;
  } catch (err) {
    if (!(err instanceof SyntaxFailure)) throw err;
    return err.code + serdePosition(text, err.at);
  }
}
