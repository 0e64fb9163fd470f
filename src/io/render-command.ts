import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { CommandView } from '../engine/plan.js';
import type { Body } from '../runbook/model.js';
import { VERBATIM } from './layout.js';
import { renderMarkdown } from './markdown.js';
import type { Style } from './style.js';

let yamlLibrary: typeof Yaml | undefined;

/** The YAML library, loaded when an action's arguments are first shown (start-up does without it). */
function yaml(): typeof Yaml {
  return (yamlLibrary ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}

/** A step body as written, before any expression is resolved (for `show`). */
export function rawView(body: Body): CommandView {
  switch (body.kind) {
    case 'run':
      return { kind: 'run', display: body.script };
    case 'exec':
      return { kind: 'exec', display: body.argv };
    case 'uses':
      return { kind: 'uses', action: body.action, with: body.with };
    case 'manual':
      return { kind: 'manual', display: body.text };
  }
}

function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./<>*-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command lines, indented, as the operator should read them. A command's lines are marked to be
 * printed as they are (never wrapped: see src/io/layout.ts); an action's arguments are YAML, as a
 * runbook writes them; manual text is Markdown.
 */
export function formatCommand(view: CommandView, style: Style, indent: string): string {
  const prefix = (lines: string[], label: string, styled: string): string =>
    lines.map((line, i) => (line === '' ? '' : `${indent}${i === 0 ? styled : ' '.repeat(label.length)}${line}`)).join('\n');
  switch (view.kind) {
    case 'run':
      return prefix(
        view.display
          .replace(/\n$/, '')
          .split('\n')
          .map((line) => VERBATIM + line),
        '$ ',
        style.dim('$ '),
      );
    case 'exec':
      return `${indent}${VERBATIM}${style.dim('$ ')}${view.display.map(quoteArg).join(' ')}`;
    case 'uses':
      return [`${indent}${style.dim('uses')} ${style.cyan(view.action)}`, ...actionArguments(view.with, `${indent}    `)].join('\n');
    case 'manual':
      return prefix(renderMarkdown(view.display, style), 'manual: ', `${style.yellow('manual')}: `);
  }
}

/** An action's `with:` as YAML: a multi-line SQL query reads as it was written, not as an escaped string. */
function actionArguments(args: unknown, indent: string): string[] {
  if (args === undefined || args === null || (typeof args === 'object' && Object.keys(args).length === 0)) return [];
  return (
    yaml()
      .stringify(args, { lineWidth: 0 })
      .replace(/\n$/, '')
      // A masked secret reads as everywhere else, ***, not as the quoted string YAML would need.
      .replace(/^(\s*(?:- )?(?:[\w-]+: |- ))"\*\*\*"$/gm, '$1***')
      .split('\n')
      .map((line) => `${indent}${line}`)
  );
}
