import { ACTIONS, actionNamed } from '../actions/registry.js';
import { checkActionArgs } from '../actions/validate-args.js';
import { didYouMean } from '../util/suggest.js';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import {
  durationLimitProblem,
  formatDuration,
  intervalLimitProblem,
  isDuration,
  MAX_DURATION_TEXT,
  parseDuration,
} from '../util/duration.js';
import type { Segment } from './expression.js';
import type { Expr } from './expression.js';
import { collectRefs, ExpressionError, parseTemplate, soleExpression } from './expression.js';
import { secretArguments } from './argv-refs.js';
import { parsePostgresUrl, PostgresUrlError } from './postgres-url.js';
import type { ExpectationDoc, InputDoc, MatcherDoc, RunbookDoc, StepDoc } from './schema.js';
import { regexProblem } from './regex.js';
import { expressionPlaces } from './shell-context.js';
import { secondShell, secondShellInArgv } from './second-shell.js';
import type { SourceFile, Target } from './source.js';
import { diagnosticAt } from './source.js';

/** Checks that span more than one key: everything the schema alone cannot say. */
export function checkRules(doc: RunbookDoc, source: SourceFile): Diagnostic[] {
  const checker = new RuleChecker(doc, source);
  checker.checkAll();
  return checker.diagnostics;
}

/** The longest metadata.name: its run ids (name, time, tag) must fit in a file name. */
export const MAX_NAME_LENGTH = 100;

export const RUN_REFS = ['id', 'mode', 'incident_start', 'started_at', 'elapsed', 'now', 'runbook', 'operator', 'rto', 'rpo'] as const;
const STEP_REF_KINDS = ['outputs', 'status'];

interface RefScope {
  /** Steps at an index below this may be named (their outputs and status are known by then). */
  visibleBefore: number;
  where: string;
}

/**
 * "Did you mean" within a budget of comparisons. Each guess compares the unknown name with every
 * candidate, so thousands of unknown names among thousands of steps would cost their product;
 * past the budget, hints fall back to their plain form and the report stays linear.
 */
export class Suggestions {
  private left: number;

  constructor(budget = 200_000) {
    this.left = budget;
  }

  didYouMean(word: string, candidates: readonly string[]): string {
    if (candidates.length > this.left) return '';
    this.left -= candidates.length;
    return didYouMean(word, candidates);
  }
}

class RuleChecker {
  readonly diagnostics: Diagnostic[] = [];
  private readonly inputs: Record<string, InputDoc>;
  /** Each step id and the index of its first step. */
  private readonly stepIndex = new Map<string, number>();
  private readonly templates = new Map<string, Segment[] | ExpressionError>();
  /** Secret inputs, each with the pattern that finds it named in a command line. */
  private readonly secretInputs: Array<{ name: string; pattern: RegExp }>;
  private readonly inputNames: string[];
  private readonly stepIds: string[];
  private readonly suggest = new Suggestions();
  private readonly secretVariablesOf = new WeakMap<object, Map<string, SecretSource>>();

  constructor(
    private readonly doc: RunbookDoc,
    private readonly source: SourceFile,
  ) {
    this.inputs = doc.inputs ?? {};
    this.secretInputs = Object.entries(this.inputs)
      .filter(([, spec]) => spec.secret)
      .map(([name]) => ({ name, pattern: new RegExp(`inputs\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`) }));
    doc.steps.forEach((step, index) => {
      if (!this.stepIndex.has(step.id)) this.stepIndex.set(step.id, index);
    });
    this.inputNames = Object.keys(this.inputs);
    this.stepIds = [...this.stepIndex.keys()];
  }

  private report(
    path: readonly PathSegment[],
    message: string,
    options: { hint?: string | undefined; severity?: 'error' | 'warning'; target?: Target; index?: number } = {},
  ): void {
    this.diagnostics.push(diagnosticAt(this.source, path, message, options));
  }

  private warn(path: readonly PathSegment[], message: string, hint?: string, target: Target = 'value'): void {
    this.report(path, message, { severity: 'warning', hint, target });
  }

  checkAll(): void {
    this.checkName();
    this.checkDurations();
    this.checkObjectives();
    for (const [name, spec] of Object.entries(this.inputs)) this.checkInput(name, spec);
    this.checkExpressionsIn(['env'], this.doc.env, { visibleBefore: 0, where: 'in the runbook env' });
    (this.doc.preflight ?? []).forEach((item, index) => {
      const path = ['preflight', index];
      this.checkPreflight(item, path);
      this.checkExpressionsIn(path, item, { visibleBefore: 0, where: 'in preflight (it runs before any step)' });
    });
    this.checkSteps();
  }

  /** The run id (name, time, tag) is a folder name: it must fit in one. */
  private checkName(): void {
    const name = this.doc.metadata.name;
    if (name.length > MAX_NAME_LENGTH) {
      this.report(['metadata', 'name'], `the runbook name is ${name.length} characters long; the most is ${MAX_NAME_LENGTH}`, {
        hint: 'a short name such as database-loss; the title can say more',
      });
    }
  }

  /** Every duration of the runbook within the longest drctl takes (the schema checks their form). */
  private checkDurations(): void {
    const check = (path: PathSegment[], text: string | undefined): void => {
      const problem = text === undefined ? undefined : durationLimitProblem(text);
      if (problem) this.report(path, problem, { hint: `write at most ${MAX_DURATION_TEXT}, e.g. 4h or 90m` });
    };
    check(['objectives', 'rto'], this.doc.objectives?.rto);
    check(['objectives', 'rpo'], this.doc.objectives?.rpo);
    const every = this.doc.objectives?.drill_every;
    const everyProblem = every === undefined ? undefined : intervalLimitProblem(every);
    if (everyProblem) this.report(['objectives', 'drill_every'], everyProblem, { hint: 'write how often to drill, e.g. 90d or 30d' });
    (this.doc.preflight ?? []).forEach((item, index) => check(['preflight', index, 'timeout'], item.timeout));
    this.doc.steps.forEach((step, index) => {
      for (const key of ['budget', 'timeout', 'interval'] as const) check(['steps', index, key], step[key]);
      if (typeof step.retries === 'object') check(['steps', index, 'retries', 'delay'], step.retries.delay);
      if (typeof step.rollback === 'object') check(['steps', index, 'rollback', 'timeout'], step.rollback.timeout);
    });
  }

  private checkObjectives(): void {
    const rto = this.doc.objectives?.rto;
    if (!this.doc.objectives) {
      this.warn(
        ['metadata'],
        'no objectives: the run cannot say whether recovery met its RTO and RPO',
        'add objectives: { rto: 1h, rpo: 15m }',
        'key',
      );
      return;
    }
    if (rto === undefined) return;
    const rtoMs = parseDuration(rto) ?? 0;
    const budgets = this.doc.steps.reduce((sum, step) => sum + (step.budget ? (parseDuration(step.budget) ?? 0) : 0), 0);
    if (budgets > rtoMs) {
      this.warn(
        ['objectives', 'rto'],
        `step budgets add up to ${formatDuration(budgets)}, past the RTO of ${formatDuration(rtoMs)}`,
        'shorten the budgets, or the procedure cannot meet its objective as planned',
      );
    }
  }

  private checkInput(name: string, spec: InputDoc): void {
    const path = ['inputs', name];
    const type = spec.type ?? 'string';
    if (type === 'choice' && !spec.options) {
      this.report(path, `choice input "${name}" has no options`, { target: 'key', hint: 'add options: [a, b]' });
    }
    if (type !== 'choice' && spec.options) {
      this.report([...path, 'options'], `options only apply to type: choice (this input is ${type})`, {
        target: 'key',
        hint: 'add type: choice or remove options',
      });
    }
    if (spec.default !== undefined) {
      const problem = typeProblem(type, spec.default, spec.options);
      if (problem) this.report([...path, 'default'], `default ${problem}`, { hint: `the default must be a valid ${type}` });
    }
  }

  private checkPreflight(item: NonNullable<RunbookDoc['preflight']>[number], path: PathSegment[]): void {
    const commands = (['run', 'exec', 'uses'] as const).filter((key) => item[key] !== undefined);
    if (item.require) {
      if (item.postgres !== undefined)
        this.report([...path, 'postgres'], '`postgres:` applies to a check that runs a command, not to `require:`', { target: 'key' });
      if (commands.length > 0)
        this.report([...path, commands[0]!], 'a preflight item is either `require:` or a check, not both', {
          target: 'key',
          hint: 'split it into two items',
        });
      return;
    }
    if (commands.length === 0) {
      this.report(path, 'a preflight item needs `require:` or one of run / exec / uses', { hint: 'e.g. - require: [kubectl, aws]' });
      return;
    }
    if (commands.length > 1)
      this.report([...path, commands[1]!], `a preflight check has one of run / exec / uses, not ${commands.join(' and ')}`, {
        target: 'key',
      });
    if (item.title === undefined)
      this.report(path, 'a preflight check needs a title', {
        hint: 'title: says what it proves, e.g. "kubectl points at the right cluster"',
      });
    this.checkUses(item, path);
    if (item.expect) this.checkExpectation(item.expect, [...path, 'expect']);
    this.checkCommandLine(item, path, false, [item.env]);
    this.checkPostgres(item, path, commands[0] === 'uses' ? 'an action takes its own url:' : undefined);
  }

  private checkUses(item: { uses?: string | undefined; with?: unknown }, path: PathSegment[]): void {
    if (item.uses !== undefined && !ACTIONS.has(item.uses)) {
      const names = [...ACTIONS.keys()];
      const hint = this.suggest.didYouMean(item.uses, names) || `built-in actions: ${names.join(', ')}`;
      this.report([...path, 'uses'], `unknown action "${item.uses}"`, { hint });
    }
    const action = item.uses !== undefined ? actionNamed(item.uses) : undefined;
    if (action) {
      for (const problem of checkActionArgs(action, item.with)) {
        const where = item.with === undefined ? [...path, 'uses'] : [...path, 'with', ...problem.path];
        this.report(where, problem.message, {
          hint: problem.hint,
          target: problem.atKey && item.with !== undefined && problem.path.length > 0 ? 'key' : 'value',
        });
      }
    }
    if (item.with !== undefined && item.uses === undefined)
      this.report([...path, 'with'], '`with:` only applies to `uses:` steps', {
        target: 'key',
        hint: 'remove it, or name an action with uses:',
      });
  }

  private checkSteps(): void {
    this.doc.steps.forEach((step, index) => {
      const path: PathSegment[] = ['steps', index];
      const first = this.stepIndex.get(step.id)!;
      if (first !== index)
        this.report([...path, 'id'], `duplicate step id "${step.id}" (also steps[${first}])`, {
          hint: 'step ids must be unique in a runbook',
        });
      this.checkStepShape(step, path);
      const { rollback, ...rest } = step;
      this.checkExpressionsIn(path, rest, { visibleBefore: index, where: `in step "${step.id}"` }, ['description', 'title', 'id']);
      // A rollback runs after its step, so it may name the step's own outputs.
      if (rollback !== undefined)
        this.checkExpressionsIn([...path, 'rollback'], rollback, { visibleBefore: index + 1, where: `in the rollback of "${step.id}"` });
      this.checkWarnings(step, path);
    });
  }

  private checkStepShape(step: StepDoc, path: PathSegment[]): void {
    const bodies = (['run', 'exec', 'uses', 'manual'] as const).filter((key) => step[key] !== undefined);
    if (bodies.length === 0) {
      this.report(path, `step "${step.id}" has nothing to do`, { hint: 'give it exactly one of run:, exec:, uses: or manual:' });
    } else if (bodies.length > 1) {
      this.report([...path, bodies[1]!], `step "${step.id}" has both ${bodies[0]}: and ${bodies[1]}:`, {
        target: 'key',
        hint: 'a step has exactly one of run:, exec:, uses: or manual:; split it into two steps',
      });
    }
    this.checkUses(step, path);
    this.checkCommandLine(step, path, false, [step.env]);
    const kind = bodies[0];
    this.checkPostgres(
      step,
      path,
      kind === 'uses' ? 'an action takes its own url:' : kind === 'manual' ? 'a manual step runs no command' : undefined,
    );
    if (step.outputs !== undefined && (kind === 'uses' || kind === 'manual')) {
      const why = kind === 'uses' ? 'an action declares its own outputs' : 'a manual step produces no outputs';
      this.report([...path, 'outputs'], `\`outputs:\` does not apply here: ${why}`, { target: 'key' });
    }
    if (kind === 'manual') {
      for (const key of ['until', 'retries', 'expect', 'timeout', 'interval'] as const) {
        if (step[key] !== undefined) this.report([...path, key], `\`${key}:\` does not apply to a manual step`, { target: 'key' });
      }
    }
    if (step.until !== undefined && step.timeout === undefined) {
      this.report([...path, 'until'], '`until:` polls until its expectation holds, so it needs a `timeout:` to stop', {
        target: 'key',
        hint: 'add timeout: 10m (and interval: 10s)',
      });
    }
    if (step.interval !== undefined && step.until === undefined) {
      this.report([...path, 'interval'], '`interval:` only applies with `until:`', { target: 'key' });
    }
    if (typeof step.if === 'string' && !step.if.includes('${{')) {
      this.report([...path, 'if'], '`if:` must be an expression or true/false', { hint: `write if: \${{ ${step.if} }}` });
    }
    if (typeof step.rollback === 'object') {
      const rollbackBodies = (['run', 'exec', 'uses'] as const).filter(
        (key) => (step.rollback as Record<string, unknown>)[key] !== undefined,
      );
      if (rollbackBodies.length !== 1) {
        this.report(
          [...path, 'rollback'],
          rollbackBodies.length === 0
            ? 'a rollback needs one of run / exec / uses'
            : `a rollback has one of run / exec / uses, not ${rollbackBodies.join(' and ')}`,
          { target: 'key' },
        );
      }
      this.checkUses(step.rollback, [...path, 'rollback']);
      this.checkCommandLine(step.rollback, [...path, 'rollback'], false, [step.env, step.rollback.env]);
      this.checkPostgres(
        step.rollback,
        [...path, 'rollback'],
        step.rollback.uses !== undefined ? 'an action takes its own url:' : undefined,
      );
    } else if (typeof step.rollback === 'string') this.checkCommandLine({ run: step.rollback }, [...path, 'rollback'], true, [step.env]);
    for (const [name, output] of Object.entries(step.outputs ?? {})) {
      if (output.regex !== undefined) this.checkRegex([...path, 'outputs', name, 'regex'], output.regex, 'output');
    }
    const declared = declaredOutputs(step);
    for (const key of ['expect', 'until'] as const) {
      const expectation = step[key];
      if (!expectation) continue;
      this.checkExpectation(expectation, [...path, key]);
      for (const name of Object.keys(expectation.outputs ?? {})) {
        if (!declared.includes(name)) {
          this.report([...path, key, 'outputs', name], `step "${step.id}" has no output "${name}" to check`, {
            target: 'key',
            hint: this.suggest.didYouMean(name, declared) || (declared.length ? `it has ${declared.join(', ')}` : 'it declares no outputs'),
          });
        }
      }
    }
  }

  private checkExpectation(expectation: ExpectationDoc, path: PathSegment[]): void {
    const matchers: Array<[MatcherDoc | undefined, PathSegment[]]> = [
      [expectation.stdout, [...path, 'stdout']],
      [expectation.stderr, [...path, 'stderr']],
      ...Object.entries(expectation.outputs ?? {}).map(([name, m]): [MatcherDoc, PathSegment[]] => [m, [...path, 'outputs', name]]),
    ];
    for (const [matcher, at] of matchers) {
      if (!matcher) continue;
      if (matcher.matches !== undefined) this.checkRegex([...at, 'matches'], matcher.matches);
      if (matcher.not?.matches !== undefined) this.checkRegex([...at, 'not', 'matches'], matcher.not.matches);
    }
  }

  /** Expressions in a run: script must stand where their value can be quoted safely. */
  private checkShellContexts(script: string, path: PathSegment[]): void {
    if (!script.includes('${{')) return;
    const segments = this.segmentsOf(script);
    if (segments instanceof ExpressionError) return; // reported by the expression check
    const places = expressionPlaces(segments);
    let index = 0;
    for (const segment of segments) {
      if (segment.kind !== 'expr') continue;
      const { context, command } = places[index++]!;
      const at = { index: segment.offset };
      if (context.kind === 'backtick') {
        this.report(path, 'an expression inside `...` command substitution cannot be passed safely', {
          ...at,
          hint: 'use $( ... ) instead of backticks',
        });
      } else if (context.kind === 'literal-heredoc') {
        this.report(path, `an expression inside the quoted here-document <<'${context.delimiter}' is never expanded`, {
          ...at,
          hint: `write <<${context.delimiter} (unquoted): drctl passes the value through the environment, and bash expands it without reading it as code`,
        });
      } else if (context.kind === 'arith') {
        const type = this.staticType(segment.expr);
        if (type !== 'number' && type !== 'output') {
          this.report(
            path,
            `\${{ ${segment.source} }} stands in ${context.where}, where bash evaluates a value as arithmetic (and runs a[$(command)] in it): only a value typed number may stand here`,
            {
              ...at,
              hint:
                type === 'input'
                  ? 'give the input type: number'
                  : 'use an input of type: number, or a step output (checked to be a whole number when the step runs)',
            },
          );
        }
      }
      const shell = secondShell(command);
      if (shell) {
        this.report(
          path,
          `\${{ ${segment.source} }} reaches a second shell (${shell}), which reads the value as code: drctl can protect only the first`,
          {
            ...at,
            severity: 'warning',
            hint: 'pass it through the environment instead: set it in env: (e.g. env: { NAME: "${{ ... }}" }) and write "$NAME" inside the inner command, quoted for that shell',
          },
        );
      }
    }
  }

  /** What an expression is known to hold before the run: a number, an output (checked when the step runs), or something else. */
  private staticType(expr: Expr): 'number' | 'output' | 'input' | 'other' {
    if (expr.kind === 'literal') return typeof expr.value === 'number' ? 'number' : 'other';
    if (expr.kind !== 'ref') return 'other';
    const [root, name, kind] = expr.path;
    if (root === 'inputs' && name !== undefined) return this.inputs[name]?.type === 'number' ? 'number' : 'input';
    if (root === 'steps' && kind === 'outputs') return 'output';
    return 'other';
  }

  /**
   * A pattern must run on RE2 (linear time: no backreferences, no lookarounds). An output's regex is
   * used as written, so an expression in it would never be substituted; a `matches` value is
   * resolved first, so one holding an expression is checked when the step runs.
   */
  private checkRegex(path: PathSegment[], pattern: string, use: 'output' | 'matcher' = 'matcher'): void {
    if (pattern.includes('${{')) {
      if (use === 'output') {
        this.report(path, 'an output regex is used as written: the expression in it would never be substituted', {
          index: pattern.indexOf('${{'),
          hint: 'write the pattern out in full, and compare with a value of another step in a later expectation (expect: { outputs: { <name>: { equals: ... } } }) or an if:',
        });
      }
      return;
    }
    const problem = regexProblem(pattern);
    if (problem) this.report(path, problem.message, { hint: problem.hint });
  }

  private checkWarnings(step: StepDoc, path: PathSegment[]): void {
    if (step.run !== undefined && /["']\$\{\{/.test(step.run)) {
      const index = step.run.search(/["']\$\{\{/);
      this.report([...path, 'run'], 'quotes around an expression in run: drctl already quotes each value for where it stands', {
        severity: 'warning',
        index,
        hint: 'remove the quotes: write ${{ ... }} where a shell word stands',
      });
    }
    const command = step.run ?? step.exec?.join(' ');
    if (command !== undefined && step.confirm === undefined && looksDestructive(command)) {
      this.warn(
        [...path, step.run !== undefined ? 'run' : 'exec'],
        `step "${step.id}" looks destructive but does not ask for confirmation`,
        'add confirm: true (or confirm: { type: <name> } for the worst ones)',
      );
    }
  }

  /**
   * Checks on a run: or exec: wherever it stands (step, rollback, preflight). `envs` are the env:
   * maps its process gets besides the runbook's own.
   */
  private checkCommandLine(
    item: { run?: string | undefined; exec?: Array<string | number | boolean> | undefined },
    path: PathSegment[],
    bare: boolean,
    envs: Array<Record<string, string | number | boolean> | undefined>,
  ): void {
    const at = (key: 'run' | 'exec'): PathSegment[] => (bare ? path : [...path, key]);
    if (item.run !== undefined) this.checkShellContexts(item.run, at('run'));
    if (item.exec !== undefined) {
      const program = typeof item.exec[0] === 'string' ? item.exec[0] : undefined;
      const words = item.exec.map(String);
      for (const [index, arg] of item.exec.entries()) {
        if (typeof arg !== 'string') continue;
        const shell = arg.includes('${{') ? secondShellInArgv(words, index) : undefined;
        if (shell) {
          this.report(
            [...at('exec'), index],
            `this argument reaches a second shell (${shell}), which reads the values of its expressions as code`,
            {
              severity: 'warning',
              index: arg.indexOf('${{'),
              hint: 'pass the value through the environment instead: set it in env: and write "$NAME" inside the inner command, quoted for that shell',
            },
          );
        }
        const leak = this.secretNamedIn(arg);
        if (leak) {
          this.warnArgv(
            [...at('exec'), index],
            leak.offset,
            `${leak.what} is put on the command line of ${commandName(program)}`,
            leak,
            program,
          );
          break;
        }
      }
    }
    if (item.run !== undefined && item.run.includes('$')) {
      const script = item.run;
      // Reading the script's commands costs time: only a script that names a secret is read.
      const variables = this.secretVariables(envs);
      if (!this.mayNameSecret(script) && ![...variables.keys()].some((name) => script.includes(name))) return;
      const reported = new Set<string>();
      const leaks = secretArguments(script, variables, (offset) => {
        const end = script.indexOf('}}', offset);
        return this.secretNamedIn(script.slice(offset, end < 0 ? script.length : end + 2));
      });
      for (const leak of leaks) {
        const key = leak.variable ?? `\${{${leak.offset}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const what =
          leak.variable === undefined
            ? `${leak.source.what} is an argument of ${commandName(leak.command)}`
            : `$${leak.variable} (set from ${leak.source.what}) is an argument of ${commandName(leak.command)}`;
        // An expression is pointed at where it names the secret; a variable at its $.
        const offset = leak.variable === undefined ? leak.offset + leak.source.offset : leak.offset;
        this.warnArgv(at('run'), offset, what, leak.source, leak.command);
      }
    }
  }

  /** The first secret an expression in `text` names: a secret input, or an output that may hold one. */
  private secretNamedIn(text: string): SecretSource | undefined {
    if (!text.includes('${{')) return undefined;
    const segments = this.segmentsOf(text);
    if (segments instanceof ExpressionError) return undefined;
    for (const segment of segments) {
      if (segment.kind !== 'expr') continue;
      for (const ref of collectRefs(segment.expr)) {
        const source = this.secretRef(ref.path);
        if (source) return { ...source, offset: ref.offset };
      }
    }
    return undefined;
  }

  /** What a reference names, when that is secret. */
  private secretRef(path: readonly string[]): Omit<SecretSource, 'offset'> | undefined {
    const [root, name, kind, output] = path;
    if (root === 'inputs' && name !== undefined && path.length === 2 && this.inputs[name]?.secret === true)
      return { what: `secret input "${name}"`, ref: `inputs.${name}` };
    if (root === 'steps' && kind === 'outputs' && name !== undefined && output !== undefined && this.secretBearingSteps().has(name))
      return {
        what: `output "${output}" of step "${name}" (masked when it holds a secret its step was given)`,
        ref: `steps.${name}.outputs.${output}`,
      };
    return undefined;
  }

  private secretSteps: Set<string> | undefined;

  /**
   * Steps whose outputs may hold a secret, and are then journaled masked: commands that are given a
   * secret input (in run:, exec: or env:), since what they print may echo it.
   */
  /** Whether an expression in `text` could name a secret: a cheap look before the expressions are read. */
  private mayNameSecret(text: string): boolean {
    if (!text.includes('${{')) return false;
    if (this.secretInputs.some(({ pattern }) => pattern.test(text))) return true;
    for (const id of this.secretBearingSteps()) if (text.includes(`steps.${id}.`)) return true;
    return false;
  }

  private secretBearingSteps(): Set<string> {
    if (this.secretSteps) return this.secretSteps;
    this.secretSteps = new Set();
    for (const step of this.doc.steps) {
      if (step.run === undefined && step.exec === undefined) continue;
      const texts = [step.run ?? '', ...(step.exec ?? []).map(String), ...Object.values(step.env ?? {}).map(String)];
      if (texts.some((text) => this.secretInputs.some(({ pattern }) => pattern.test(text)))) this.secretSteps.add(step.id);
    }
    return this.secretSteps;
  }

  /**
   * Variables that hold a secret in a command's environment: those its env: maps (and the
   * runbook's) set from a secret, and the variables secret inputs are read from.
   */
  private secretVariables(envs: Array<Record<string, string | number | boolean> | undefined>): Map<string, SecretSource> {
    // A step's command and its string rollback share the step's env: work it out once.
    const single = envs.length === 1 ? envs[0] : undefined;
    const cached = single !== undefined ? this.secretVariablesOf.get(single) : undefined;
    if (cached) return cached;
    const vars = this.computeSecretVariables(envs);
    if (single !== undefined) this.secretVariablesOf.set(single, vars);
    return vars;
  }

  private computeSecretVariables(envs: Array<Record<string, string | number | boolean> | undefined>): Map<string, SecretSource> {
    const vars = new Map<string, SecretSource>();
    for (const [name, spec] of Object.entries(this.inputs)) {
      if (spec.secret && spec.env !== undefined) vars.set(spec.env, { what: `secret input "${name}"`, ref: `inputs.${name}`, offset: 0 });
    }
    for (const env of [this.doc.env, ...envs]) {
      for (const [name, value] of Object.entries(env ?? {})) {
        if (typeof value !== 'string') continue;
        const source = this.secretNamedIn(value);
        if (source) vars.set(name, source);
        else vars.delete(name);
      }
    }
    return vars;
  }

  private warnArgv(path: PathSegment[], index: number, message: string, source: Omit<SecretSource, 'offset'>, command?: string): void {
    const program = command?.split('/').pop();
    const postgres = program !== undefined && LIBPQ_PROGRAMS.has(program);
    const hint = postgres
      ? `give the step postgres: "\${{ ${source.ref} }}" and drop the URL from the command: drctl hands it to ${program} through PGHOST, PGUSER, PGDATABASE and a password file`
      : 'pass it through env: to a tool that reads it from the environment, a file or standard input (a PostgreSQL URL for psql, pg_dump or pg_restore: through the step key postgres:)';
    this.report(path, `${message}, where every user of the host can read it (ps, /proc/<pid>/cmdline)`, {
      severity: 'warning',
      index,
      hint,
    });
  }

  /** `postgres:` stands only where a command runs, and a value written out must be a URL libpq can take. */
  private checkPostgres(item: { postgres?: string | undefined }, path: PathSegment[], notHere: string | undefined): void {
    const value = item.postgres;
    if (value === undefined) return;
    const at = [...path, 'postgres'];
    if (notHere !== undefined) {
      this.report(at, `\`postgres:\` applies to run: and exec: only: ${notHere}`, { target: 'key' });
      return;
    }
    const hint = 'e.g. postgres: "${{ inputs.database_url }}", with the input secret: true';
    if (!value.includes('${{')) {
      if (value.trim() === '') {
        this.report(at, '`postgres:` is empty: it takes a postgres:// or postgresql:// URL', { hint });
        return;
      }
      try {
        parsePostgresUrl(value);
      } catch (error) {
        if (!(error instanceof PostgresUrlError)) throw error;
        this.report(at, `\`postgres:\` is not a URL drctl can hand to libpq: ${error.message}`, {
          hint: 'write it as postgresql://user@host:5432/database?sslmode=require',
        });
      }
      return;
    }
    const segments = this.segmentsOf(value);
    if (segments instanceof ExpressionError) return; // reported by the expression check
    const sole = soleExpression(segments);
    const problem = sole && this.notTextProblem(sole);
    if (problem) this.report(at, `\`postgres:\` must resolve to a URL, but ${problem}`, { hint });
  }

  /** Why a whole-value expression cannot give text, when that is known before the run. */
  private notTextProblem(expr: Expr): string | undefined {
    switch (expr.kind) {
      case 'literal':
        return typeof expr.value === 'string' ? undefined : `${JSON.stringify(expr.value)} is not text`;
      case 'not':
        return 'a ! expression gives true or false';
      case 'binary':
        return expr.op === '&&' || expr.op === '||' ? undefined : `a ${expr.op} comparison gives true or false`;
      case 'ref': {
        const [root, name] = expr.path;
        const type = root === 'inputs' && name !== undefined ? this.inputs[name]?.type : undefined;
        return type === 'number' || type === 'boolean' ? `input "${name}" is a ${type}` : undefined;
      }
    }
  }

  /**
   * Parse every string below `value` that holds an expression and check what it names. `path`
   * grows and shrinks as the walk goes, and is copied only where a string holds an expression.
   */
  private checkExpressionsIn(path: PathSegment[], value: unknown, scope: RefScope, skipKeys: readonly string[] = []): void {
    if (typeof value === 'string') {
      if (value.includes('${{')) this.checkTemplate([...path], value, scope);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const children: Array<[PathSegment, unknown]> = Array.isArray(value) ? [...value.entries()] : Object.entries(value);
    for (const [key, child] of children) {
      if (typeof key === 'string' && skipKeys.includes(key)) continue;
      // Most values are text without an expression, or not text at all: no step into them.
      if (typeof child === 'string' ? !child.includes('${{') : child === null || typeof child !== 'object') continue;
      path.push(key);
      this.checkExpressionsIn(path, child, scope);
      path.pop();
    }
  }

  /** A template's segments, parsed once however many checks read it (or why it does not parse). */
  private segmentsOf(text: string): Segment[] | ExpressionError {
    let parsed = this.templates.get(text);
    if (parsed === undefined) {
      try {
        parsed = parseTemplate(text);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        parsed = error;
      }
      this.templates.set(text, parsed);
    }
    return parsed;
  }

  private checkTemplate(path: PathSegment[], text: string, scope: RefScope): void {
    const segments = this.segmentsOf(text);
    if (segments instanceof ExpressionError) {
      this.report(path, `invalid expression: ${segments.message}`, {
        index: segments.offset,
        hint: segments.hint ?? "expressions look like ${{ inputs.name }} or ${{ steps.id.outputs.name == 'x' }}",
      });
      return;
    }
    for (const segment of segments) {
      if (segment.kind !== 'expr') continue;
      for (const ref of collectRefs(segment.expr)) {
        const problem = this.refProblem(ref.path, scope);
        if (problem) this.report(path, problem.message, { index: ref.offset, hint: problem.hint });
      }
    }
  }

  private refProblem(path: string[], scope: RefScope): { message: string; hint?: string | undefined } | undefined {
    const [root, name, kind, output] = path;
    const dotted = path.join('.');
    switch (root) {
      case 'inputs':
        if (name === undefined || path.length !== 2) return { message: `"${dotted}" should be inputs.<name>` };
        if (!Object.hasOwn(this.inputs, name))
          return { message: `unknown input "${name}"`, hint: this.suggest.didYouMean(name, this.inputNames) || 'declare it under inputs:' };
        return undefined;
      case 'env':
        return name !== undefined && path.length === 2 ? undefined : { message: `"${dotted}" should be env.<NAME>` };
      case 'run':
        if (name !== undefined && path.length === 2 && (RUN_REFS as readonly string[]).includes(name)) return undefined;
        return { message: `unknown run property "${dotted}"`, hint: `run has ${RUN_REFS.join(', ')}` };
      case 'steps':
        return this.stepRefProblem(dotted, name, kind, output, path.length, scope);
      default:
        return {
          message: `unknown name "${root}" in expression`,
          hint: this.suggest.didYouMean(root ?? '', ['inputs', 'steps', 'env', 'run']) || 'expressions may name inputs, steps, env and run',
        };
    }
  }

  private stepRefProblem(
    dotted: string,
    id: string | undefined,
    kind: string | undefined,
    output: string | undefined,
    length: number,
    scope: RefScope,
  ): { message: string; hint?: string | undefined } | undefined {
    if (id === undefined || kind === undefined || !STEP_REF_KINDS.includes(kind) || (kind === 'status' ? length !== 3 : length !== 4)) {
      return { message: `"${dotted}" should be steps.<id>.outputs.<name> or steps.<id>.status` };
    }
    const index = this.stepIndex.get(id);
    if (index === undefined) return { message: `unknown step "${id}"`, hint: this.suggest.didYouMean(id, this.stepIds) || undefined };
    if (index >= scope.visibleBefore)
      return { message: `step "${id}" has not run yet ${scope.where}`, hint: 'an expression may only name steps that run before it' };
    const step = this.doc.steps[index]!;
    if (kind === 'status') return undefined;
    const declared = declaredOutputs(step);
    if (!declared.includes(output!)) {
      const list = declared.length ? `it has ${declared.join(', ')}` : 'it declares no outputs';
      return { message: `step "${id}" has no output "${output}"`, hint: this.suggest.didYouMean(output!, declared) || list };
    }
    return undefined;
  }
}

/** A secret that reaches a command line, and where it is named. */
interface SecretSource {
  /** How the warning names it: `secret input "x"`, `output "y" of step "z"`. */
  what: string;
  /** The reference that names it (inputs.x): the hint names it. */
  ref: string;
  offset: number;
}

/** Programs that read libpq's environment, so `postgres:` can give them the URL. */
const LIBPQ_PROGRAMS = new Set([
  'psql',
  'pg_dump',
  'pg_dumpall',
  'pg_restore',
  'pg_isready',
  'createdb',
  'dropdb',
  'vacuumdb',
  'reindexdb',
  'pg_basebackup',
]);

function commandName(program: string | undefined): string {
  return program === undefined ? 'a command' : program.split('/').pop()!;
}

export function declaredOutputs(step: Pick<StepDoc, 'uses' | 'outputs'>): string[] {
  if (step.uses !== undefined) return [...(actionNamed(step.uses)?.outputs ?? [])];
  return Object.keys(step.outputs ?? {});
}

const DESTRUCTIVE = [
  /\bdelete\b/i,
  /\bdrop\b/i,
  /\brm\s+-[a-z]*r[a-z]*f|\brm\s+-[a-z]*f[a-z]*r/i,
  /\bscale\b[^\n]*--replicas(?:=|\s+)0\b/i,
  /\bdropdb\b/i,
  /\btruncate\b/i,
];

export function looksDestructive(command: string): boolean {
  return DESTRUCTIVE.some((pattern) => pattern.test(command));
}

/** Why a value does not fit an input type, or undefined when it does. */
export function typeProblem(type: string, value: unknown, options?: readonly unknown[]): string | undefined {
  switch (type) {
    case 'number':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
        ? undefined
        : `${JSON.stringify(value)} is not a number`;
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
        ? undefined
        : `${JSON.stringify(value)} is not true or false`;
    case 'duration':
      if (typeof value !== 'string' || !isDuration(value)) return `${JSON.stringify(value)} is not a duration (e.g. 90s, 15m, 1h30m)`;
      return durationLimitProblem(value);
    case 'choice':
      return options && !options.some((option) => String(option) === String(value))
        ? `${JSON.stringify(value)} is not one of ${options.map((o) => JSON.stringify(o)).join(', ')}`
        : undefined;
    default:
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? undefined
        : `${JSON.stringify(value)} is not text`;
  }
}
