/**
 * A strict little XML reader for checking our own reports (JUnit, HTML fragments are not XML):
 * elements, attributes, text, the five predefined entities and numeric references, an XML
 * declaration and comments. Anything else (DOCTYPE, CDATA, unknown entities, mismatched tags,
 * duplicate attributes, characters XML 1.0 forbids) throws, so a malformed report fails the test.
 */
export interface XmlElement {
  readonly tag: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  /** Concatenated character data directly inside this element (whitespace kept). */
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string, at: number): string {
  return s.replace(/&([^;]*);?/g, (m, name: string) => {
    if (!m.endsWith(';')) throw new Error(`Bare & at offset ${at}`);
    if (name in ENTITIES) return ENTITIES[name] as string;
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
    if (num !== null) return String.fromCodePoint(Number(num[1]?.startsWith('x') ? `0${num[1]}` : num[1]));
    throw new Error(`Unknown entity &${name}; at offset ${at}`);
  });
}

export function parseXml(src: string): XmlElement {
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.exec(src);
  if (bad !== null) throw new Error(`Character U+${bad[0].charCodeAt(0).toString(16)} is not allowed in XML 1.0 (offset ${bad.index})`);
  let i = 0;
  const skipMisc = (): void => {
    for (;;) {
      while (/\s/.test(src[i] ?? '')) i++;
      if (src.startsWith('<?xml', i)) i = src.indexOf('?>', i) + 2;
      else if (src.startsWith('<!--', i)) i = src.indexOf('-->', i) + 3;
      else return;
    }
  };
  const element = (): XmlElement => {
    if (src[i] !== '<') throw new Error(`Expected < at offset ${i}`);
    i++;
    const name = NAME.exec(src.slice(i))?.[0];
    if (name === undefined) throw new Error(`Expected a tag name at offset ${i}`);
    i += name.length;
    const el: XmlElement = { tag: name, attrs: {}, children: [], text: '' };
    for (;;) {
      while (/\s/.test(src[i] ?? '')) i++;
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      const an = NAME.exec(src.slice(i))?.[0];
      if (an === undefined) throw new Error(`Expected an attribute at offset ${i} in <${name}>`);
      i += an.length;
      const m = /^\s*=\s*"([^"<]*)"/.exec(src.slice(i));
      if (m === null) throw new Error(`Expected ="value" after ${an} at offset ${i}`);
      if (an in el.attrs) throw new Error(`Duplicate attribute ${an} in <${name}>`);
      el.attrs[an] = unescapeXml(m[1] ?? '', i);
      i += m[0].length;
    }
    for (;;) {
      const lt = src.indexOf('<', i);
      if (lt < 0) throw new Error(`Unclosed <${name}>`);
      const text = src.slice(i, lt);
      if (text.includes('>') && /]]>/.test(text)) throw new Error(`"]]>" in text at offset ${i}`);
      el.text += unescapeXml(text, i);
      i = lt;
      if (src.startsWith('<!--', i)) {
        i = src.indexOf('-->', i) + 3;
        continue;
      }
      if (src.startsWith('</', i)) {
        const close = `</${name}>`;
        if (!src.startsWith(close, i)) throw new Error(`Expected ${close} at offset ${i}`);
        i += close.length;
        return el;
      }
      if (src.startsWith('<!', i) || src.startsWith('<?', i)) throw new Error(`Unsupported markup at offset ${i}`);
      el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== src.length) throw new Error(`Content after the root element at offset ${i}`);
  return root;
}
