import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/run.js';

// The pages users read: the README and docs/*.md (the CHANGELOG is history, and keeps its words).
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const read = (page: string): string => readFileSync(join(ROOT, page), 'utf8');

describe('the user docs', function () {
  it('open the README with the two commands a newcomer needs, both real scripts', function () {
    const readme = read('README.md');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    // The first code block, before any other section.
    expect(readme.indexOf('```sh')).to.be.lessThan(readme.indexOf('\n## '));
    const commands = firstBlock
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.replace(/#.*$/, '').trim());
    expect(commands).to.deep.equal(['npm install && npm start', 'npm test']);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).to.equal('tsx examples/quickstart.ts');
    expect(pkg.scripts).to.have.property('test');
  });

  it('speak without project shorthand', function () {
    const shorthand = [
      /\bthe spec\b/i,
      /\bspec (says|names|asks)\b/i,
      /\bthe (performance )?issue\b/i,
      /\bissue #?\d+/i,
      /impcache/i,
      /\bA\/B\b/,
      /\b(first|second) wave\b/i,
      /\bredesign\b/i,
      /\bSPEC\.md\b/,
    ];
    const found = PAGES.flatMap((page) =>
      read(page)
        .split('\n')
        .flatMap((line, i) =>
          shorthand.filter((pattern) => pattern.test(line)).map((pattern) => `${page}:${i + 1} ${pattern}`),
        ),
    );
    expect(found).to.deep.equal([]);
  });

  it('quote only speed figures that docs/benchmarks.md has', function () {
    const benchmarks = read('docs/benchmarks.md');
    // Figures measured by another script, which says so next to them.
    const elsewhere = new Set(['docs/memory-backend.md 35–105 ns']);
    const figure = /(\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)?) ?(×|ns|µs)/g;
    const missing = PAGES.filter((page) => page !== 'docs/benchmarks.md').flatMap((page) =>
      [...read(page).matchAll(figure)]
        .map((match) => `${page} ${match[1]!} ${match[2]!}`)
        .filter((quoted) => !elsewhere.has(quoted))
        .filter((quoted) => {
          const [, number, unit] = quoted.split(' ');
          // benchmarks.md's tables give ratios without the × sign.
          const forms =
            unit === '×' ? [`${number!}×`, `| ${number!} |`, ` ${number!} |`] : [`${number!} ${unit!}`];
          return !forms.some((form) => benchmarks.includes(form));
        }),
    );
    expect(missing).to.deep.equal([]);
  });
});
