import { createActionExecutor } from '../actions/runner.js';
import { createProcessRunner, groupAlive, killActiveGroups, tagAlive } from '../adapters/process.js';
import { systemClock } from '../adapters/clock.js';
import type { Host } from '../engine/events.js';
import { unmetMatcherText } from '../engine/expect.js';
import type { LifecycleDeps } from '../lifecycle/lifecycle.js';
import type { AwsSettings } from '../ports/aws.js';
import { parseDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';

/** A step that ran this long or longer is worth a notification when it ends (--notify). */
const NOTIFY_AFTER_MS = 30_000;

/** What `run` and `resume` share on the command line: the terminal, the signals, AWS settings. */

async function makeHost(interactive: boolean, onInterrupt: () => void, notifyAfterMs: number | undefined): Promise<Host> {
  // Notifications are escape sequences for a terminal: never into a pipe or a file.
  const stream = interactive ? process.stdout : process.stderr;
  const { Notifier } = await import('../io/notifier.js');
  const notifier = notifyAfterMs !== undefined && stream.isTTY === true ? new Notifier(stream, notifyAfterMs) : undefined;
  if (!interactive) {
    const { PlainHost } = await import('../io/plain-host.js');
    const plain = new PlainHost(process.stderr, process.stdout, notifier);
    if (process.env.GITHUB_ACTIONS !== 'true') return plain;
    // Under GitHub Actions: workflow commands on the stream the run's lines go to, and a job summary.
    const { GitHubActionsHost } = await import('../io/github-host.js');
    return new GitHubActionsHost(plain, process.stderr);
  }
  const { TerminalHost } = await import('../io/terminal-host.js');
  return TerminalHost.open(onInterrupt, process.stdout, notifier);
}

/**
 * --notify, --notify-after or DRCTL_NOTIFY=1: how long a step must run for its end to ring the
 * bell; undefined when nothing asks for notifications.
 */
export function notifyAfter(
  options: { notify?: boolean | undefined; notifyAfter?: string | undefined },
  env = process.env,
): number | undefined {
  if (options.notifyAfter !== undefined) {
    const ms = parseDuration(options.notifyAfter);
    if (ms === undefined)
      throw new UserError(`--notify-after ${options.notifyAfter}: not a duration`, { hint: 'a duration such as 30s, 2m or 1m30s' });
    return ms;
  }
  return options.notify === true || env.DRCTL_NOTIFY === '1' ? NOTIFY_AFTER_MS : undefined;
}

/** Standard input and output are a terminal (and --yes was not given): questions can be asked. */
export function isInteractive(yes: boolean): boolean {
  return !yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/**
 * Ctrl-C, SIGTERM or SIGHUP: stop the step's process tree, journal the interruption, exit 130.
 * A second one while that is under way exits at once.
 */
function interruptController(): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second Ctrl-C while the first is being handled: stop everything now, leave nothing running.
      // The journal then ends without its interruption entry; drctl runs and resume treat it as interrupted.
      killActiveGroups();
      process.exit(130);
    }
    controller.abort(new Error(signal));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  return { controller, dispose: () => signals.forEach((signal) => process.off(signal, onSignal)) };
}

/** --profile and --region, then the standard environment; AWS_ENDPOINT_URL for emulators and S3-compatible stores. */
export function awsSettings(options: { profile?: string | undefined; region?: string | undefined }): AwsSettings {
  return {
    profile: options.profile ?? process.env.AWS_PROFILE,
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    endpoint: process.env.AWS_ENDPOINT_URL,
  };
}

/** Run a lifecycle function with the real world: this terminal, these signals, real processes. */
export async function withRealWorld(
  { interactive, notifyAfterMs }: { interactive: boolean; notifyAfterMs: number | undefined },
  body: (deps: LifecycleDeps) => Promise<number>,
): Promise<number> {
  const { controller, dispose } = interruptController();
  try {
    const host = await makeHost(interactive, () => controller.abort(new Error('SIGINT')), notifyAfterMs);
    return await body({
      host,
      signal: controller.signal,
      clock: systemClock,
      runner: createProcessRunner(),
      actions: ({ aws, incidentStart }) => createActionExecutor({ aws, incidentStart, unmetMatcher: unmetMatcherText }),
      commandAlive: ({ pgid, tag }) => (pgid !== undefined && groupAlive(pgid)) || (tag !== undefined && tagAlive(tag)),
      env: process.env,
      pid: process.pid,
      warn: (message) => process.stderr.write(`drctl: warning: ${message}\n`),
    });
  } finally {
    dispose();
  }
}
