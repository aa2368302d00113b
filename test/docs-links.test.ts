// Every doc a source or a Markdown file points a reader to is a file of this repository (issue 20
// item 5): a relative Markdown link must resolve to an existing file or folder, and a path to a
// `.md` file named in code or prose (`docs/BACKENDS.md`, `see DESIGN.md`) must exist, relative to
// the file that names it or to the repository root. `../shared/data`, the corpus read at run time,
// is not a doc and is allowed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo', 'coverage', '.tmp']);
/** Data and outputs of runs, not docs (and not ours to read through: a training may be writing). */
const SKIP_TOP = new Set(['checkpoints', 'runs', 'configs', 'models', 'data']);
const EXTENSIONS = /\.(md|ts|tsx|mts|mjs|js|cjs)$/;
const ALLOWED_OUTSIDE = ['../shared/data'];
/**
 * The corpus's own docs, named by tests that check the data against them (`shared/data/…`, or
 * relative to a corpus folder): documentation of the data, next to the data, not a doc of this repo.
 */
const CORPUS_DOC = /(^|\/)shared\/data\/|^native\/README\.md$/;
/** Its fixtures are broken links on purpose. */
const SELF = 'test/docs-links.test.ts';

interface TextFile {
  /** Repository-relative, `/`-separated. */
  readonly path: string;
  readonly text: string;
}

interface BrokenLink {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

function* walk(dir: string, top = true): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name) || (top && SKIP_TOP.has(entry.name))) continue;
      yield* walk(join(dir, entry.name), false);
    } else if (EXTENSIONS.test(entry.name)) yield join(dir, entry.name);
  }
}

/** Markdown links `[text](target)` and `<img src="target">`, with their line. */
function markdownLinks(text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  text.split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|\bsrc="([^"]+)"/g)) {
      out.push({ target: (m[1] ?? m[2])!, line: i + 1 });
    }
  });
  return out;
}

/**
 * Paths to `.md` files named anywhere in the text (code, comments, prose), with their line; `quoted`
 * when the path is a whole string literal (`join(dir, 'dry-run.md')`: a file name a program makes).
 */
function mdPaths(text: string): { target: string; line: number; quoted: boolean }[] {
  const out: { target: string; line: number; quoted: boolean }[] = [];
  text.split('\n').forEach((l, i) => {
    for (const m of l.matchAll(
      /(?<![\w./@-])((?:\.{1,2}\/)*(?:[\w@-][\w.@-]*\/)*[\w-][\w.-]*\.md)(?![\w-])/g,
    )) {
      const before = l[m.index - 1];
      const quoted = (before === "'" || before === '"') && l[m.index + m[1]!.length] === before;
      out.push({ target: m[1]!, line: i + 1, quoted });
    }
  });
  return out;
}

const isExternal = (target: string) => /^([a-z][a-z+.-]*:|#|\/\/)/i.test(target);

/**
 * The links and `.md` paths of `files` that point to nothing in `exists` (a repo-relative path →
 * whether it exists) or outside the repository; each once per line.
 */
function findBrokenLinks(files: readonly TextFile[], exists: (path: string) => boolean): BrokenLink[] {
  const broken = new Map<string, BrokenLink>();
  const names = new Set(files.map((f) => posix.basename(f.path)));
  for (const file of files) {
    const dir = posix.dirname(file.path);
    /** Repo-relative, or undefined when it leaves the repository. */
    const inRepo = (target: string, base: string) => {
      const p = posix.normalize(posix.join(base, target)).replace(/\/$/, '');
      return p === '..' || p.startsWith('../') ? undefined : p;
    };
    const candidates = [
      ...(file.path.endsWith('.md') ? markdownLinks(file.text) : []).map((l) => ({ ...l, link: true })),
      ...mdPaths(file.text)
        .filter((l) => !(l.quoted && !l.target.includes('/')))
        .map((l) => ({ ...l, link: false })),
    ];
    for (const { target: raw, line, link } of candidates) {
      if (isExternal(raw) || CORPUS_DOC.test(raw)) continue;
      const target = decodeURI(raw.replace(/[#?].*$/, ''));
      if (target === '') continue;
      if (ALLOWED_OUTSIDE.some((a) => posix.normalize(posix.join(dir, target)).startsWith(a))) continue;
      // A bare name in prose ("each package's README.md") is fine when such a file exists somewhere.
      if (!link && !target.includes('/')) {
        if (names.has(target)) continue;
      } else if (
        (link ? [dir] : [dir, '.']).some((base) => {
          const p = inRepo(target, base);
          return p !== undefined && exists(p);
        })
      ) {
        continue;
      }
      broken.set(`${file.path}:${line}:${raw}`, { file: file.path, line, target: raw });
    }
  }
  return [...broken.values()];
}

function repoFiles(): TextFile[] {
  return [...walk(repoRoot)]
    .map((f) => relative(repoRoot, f).split(sep).join('/'))
    .filter((path) => path !== SELF)
    .map((path) => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') }));
}

/** `X.md §N` references whose doc has no section N (a heading `## N.` or `## N `), as `file:line → ref`. */
function missingSections(files: readonly TextFile[], read: (path: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const file of files) {
    file.text.split('\n').forEach((l, i) => {
      for (const m of l.matchAll(/([\w./-]+\.md) §(\w+)/g)) {
        const [, doc, section] = m as unknown as [string, string, string];
        const text = [posix.join(posix.dirname(file.path), doc), doc, `docs/${doc}`]
          .map((p) => read(posix.normalize(p)))
          .find((t) => t !== undefined);
        const heading = new RegExp(`^#+ ${section}[. ]`, 'm');
        if (text !== undefined && !heading.test(text)) out.push(`${file.path}:${i + 1} → ${doc} §${section}`);
      }
    });
  }
  return out;
}

describe('doc links', () => {
  it('the scanner finds what is missing or outside the repo, and accepts what exists', () => {
    const present = new Set(['docs', 'docs/PROTOCOL.md', 'docs/a.svg', 'README.md', 'packages/x/README.md']);
    const files: TextFile[] = [
      {
        path: 'README.md',
        text: [
          'See [the protocol](docs/PROTOCOL.md#splits), [a figure](docs/a.svg) and [docs](docs/).',
          'Also [the design](docs/DESIGN.md) and [the shared one](../shared/docs/STYLE.md).',
          'Data: [corpus](../shared/data) and <https://example.org/X.md>, [web](https://x.org/Y.md).',
        ].join('\n'),
      },
      {
        path: 'packages/x/src/a.ts',
        text: [
          '// the layout is in docs/PROTOCOL.md; each package README.md',
          '// see DESIGN.md §3 and ../../../../shared/docs/PAPER.md',
          "const help = 'details: docs/BACKENDS.md';",
          "writeFileSync(join(tmp, 'notes.md'), ''); // a file it makes, not a doc",
          '// expected values: shared/data/native/README.md (the corpus documents its own files)',
          '// [relative](../README.md) in a comment is a path too: ../README.md',
        ].join('\n'),
      },
    ];
    const broken = findBrokenLinks(files, (p) => present.has(p)).map(
      (b) => `${b.file}:${b.line} ${b.target}`,
    );
    expect(broken).toEqual([
      'README.md:2 docs/DESIGN.md',
      'README.md:2 ../shared/docs/STYLE.md',
      'packages/x/src/a.ts:2 DESIGN.md',
      'packages/x/src/a.ts:2 ../../../../shared/docs/PAPER.md',
      'packages/x/src/a.ts:3 docs/BACKENDS.md',
    ]);
    expect(findBrokenLinks(files, () => true)).toEqual([
      { file: 'README.md', line: 2, target: '../shared/docs/STYLE.md' },
      { file: 'packages/x/src/a.ts', line: 2, target: 'DESIGN.md' },
      { file: 'packages/x/src/a.ts', line: 2, target: '../../../../shared/docs/PAPER.md' },
    ]); // outside the repo is broken even where such a file exists; a bare name must exist in the repo
  });

  it('no source or Markdown file of the repo points to a doc that is not in it', () => {
    const files = repoFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.path === 'docs/PROTOCOL.md')).toBe(true);
    const exists = (p: string) => existsSync(join(repoRoot, p));
    const broken = findBrokenLinks(files, exists).map((b) => `${b.file}:${b.line} → ${b.target}`);
    expect(broken).toEqual([]);
    const read = (p: string) =>
      existsSync(join(repoRoot, p)) ? readFileSync(join(repoRoot, p), 'utf8') : undefined;
    expect(missingSections(files, read)).toEqual([]);
    const docs: TextFile[] = [
      { path: 'packages/x/src/a.ts', text: '// measured in docs/BACKENDS.md §4 and §9: BACKENDS.md §9' },
    ];
    expect(missingSections(docs, read)).toEqual(['packages/x/src/a.ts:1 → BACKENDS.md §9']);
  });
});
