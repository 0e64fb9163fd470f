import type { CommandView } from '../engine/plan.js';
import type { Body } from '../runbook/model.js';
import type { Style } from './style.js';

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

/** The command lines, indented, as the operator should read them. */
export function formatCommand(view: CommandView, style: Style, indent: string): string {
  const prefix = (lines: string[], label: string, styled: string): string =>
    lines.map((line, i) => `${indent}${i === 0 ? styled : ' '.repeat(label.length)}${line}`).join('\n');
  switch (view.kind) {
    case 'run':
      return prefix(view.display.replace(/\n$/, '').split('\n'), '$ ', style.dim('$ '));
    case 'exec':
      return `${indent}${style.dim('$ ')}${view.display.map(quoteArg).join(' ')}`;
    case 'uses': {
      const args = Object.entries((view.with ?? {}) as Record<string, unknown>).map(
        ([k, v]) => `${indent}    ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
      );
      return [`${indent}${style.dim('uses')} ${style.cyan(view.action)}`, ...args].join('\n');
    }
    case 'manual':
      return prefix(view.display.replace(/\n$/, '').split('\n'), 'manual: ', `${style.yellow('manual')}: `);
  }
}
