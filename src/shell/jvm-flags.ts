// SERVER_JVMFLAGS and JVMFLAGS, as zkServer.sh hands them to java: zabkit reads their -Dkey=value
// system properties (config.ts maps them onto its settings) and names the rest (-Xmx…) as ignored.
// zkServer.sh runs `java … $SERVER_JVMFLAGS $JVMFLAGS …`, so for a property given twice the later
// one wins, as in the JVM.

export interface JvmProperty {
  readonly key: string;
  readonly value: string;
  /** Where it came from, for messages: SERVER_JVMFLAGS or JVMFLAGS. */
  readonly where: string;
}

/** JVM options whose value is the next word. */
const TAKES_VALUE = new Set(['-cp', '-classpath', '--class-path', '-p', '--module-path', '--add-modules', '--add-opens', '--add-exports', '--add-reads', '--limit-modules', '--upgrade-module-path']);

/** Words of a flags string, split and unquoted as a POSIX shell would ('…', "…", backslashes). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\') {
      if (i + 1 < text.length) word += text[++i];
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${text}`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        // Inside double quotes a backslash escapes only what the shell says it does.
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) throw new Error(`unclosed " in: ${text}`);
      i = j;
    } else word += c;
  }
  if (inWord) words.push(word);
  return words;
}

/** The -D properties of SERVER_JVMFLAGS then JVMFLAGS (later ones win), and every other flag. */
export function jvmFlags(env: Readonly<Record<string, string | undefined>>): { readonly props: readonly JvmProperty[]; readonly ignored: readonly string[] } {
  const props = new Map<string, JvmProperty>();
  const ignored: string[] = [];
  for (const name of ['SERVER_JVMFLAGS', 'JVMFLAGS'] as const) {
    const text = env[name];
    if (!text?.trim()) continue;
    let words: string[];
    try {
      words = shellWords(text);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w.startsWith('-D') && w.length > 2) {
        const eq = w.indexOf('=');
        const key = eq < 0 ? w.slice(2) : w.slice(2, eq);
        const value = eq < 0 ? '' : w.slice(eq + 1);
        props.delete(key); // re-insert: the order of the flags is kept for messages
        props.set(key, { key, value, where: name });
      } else if (TAKES_VALUE.has(w) && i + 1 < words.length) ignored.push(`${w} ${words[++i]}`);
      else ignored.push(w);
    }
  }
  return { props: [...props.values()], ignored };
}
