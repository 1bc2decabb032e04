/**
 * `npm run docs`: regenerates the documentation that is derived from the code. Commit the result; the docs test
 * fails when the committed files differ from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceProblems, renderConfigMarkdown, renderExampleYaml } from './docs/config.js';

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/config.md': renderConfigMarkdown,
  'tfa-config.example.yaml': renderExampleYaml,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = referenceProblems();
  if (problems.length > 0) {
    console.error(`The config reference does not match the schema:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  const root = join(import.meta.dirname, '..');
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    writeFileSync(join(root, file), render());
    console.log(`wrote ${file}`);
  }
}
