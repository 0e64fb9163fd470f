import { isAbsolute, relative, sep } from 'node:path';
import type { Diagnostic } from '../runbook/diagnostics.js';

/**
 * GitHub Actions workflow commands (`::error file=...,line=...::message`): lines on the output of a
 * step that the runner turns into annotations, log groups and warnings. Escaped as the runner
 * reads them back, so a message with a newline or a `%` arrives as written and a value can never
 * end a property early.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** GitHub Actions sets GITHUB_ACTIONS=true in every job. */
export function onGitHubActions(env: Env = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** A command's message: `%`, carriage returns and newlines escaped. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property's value: as a message, and `:` and `,` too (they end a property). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::name key=value,...::message`, properties in the order given, undefined ones left out. */
export function workflowCommand(name: string, properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/**
 * A file as an annotation names it: relative to the checkout (GITHUB_WORKSPACE) when it lies
 * inside it, so GitHub shows the annotation on that file; otherwise as drctl was given it.
 */
export function annotationPath(file: string, env: Env = process.env): string {
  const workspace = env.GITHUB_WORKSPACE;
  if (!workspace || !isAbsolute(file)) return file;
  const inside = relative(workspace, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return file;
  return inside.split(sep).join('/');
}

/** `::error file=runbooks/x.yaml,line=4,col=7,title=drctl validate::message (at path)%0Ahint: ...` for one diagnostic. */
export function diagnosticAnnotation(d: Diagnostic, env: Env = process.env): string {
  const at = d.path ? ` (at ${d.path})` : '';
  const message = `${d.message}${at}${d.hint ? `\nhint: ${d.hint}` : ''}`;
  const where = d.line > 0 ? { line: d.line, col: d.col } : {};
  return workflowCommand(d.severity, { file: annotationPath(d.file, env), ...where, title: 'drctl validate' }, message);
}
