import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { drctl, drctlAsync, drctlCommandLine } from '../../support/cli.js';

/**
 * The environment every test runs drctl with: the same on a laptop and in CI. These runs start
 * node printing its environment in drctl's place, with exactly what drctl would get.
 */

const PRINT_ENV = [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))'];

const envOf = (options: Parameters<typeof drctl>[1] = {}): Record<string, string> =>
  JSON.parse(drctl([], { ...options, command: PRINT_ENV }).stdout) as Record<string, string>;

/** Set variables in this process, as a developer's shell or a CI runner would, for one test. */
function shellHas(vars: Record<string, string>): void {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  onTestFinished(() => {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

/** The home of the second test below, looked for again by the third. */
let homeOfEarlierTest = '';

const STRAY = {
  DRCTL_STATE_DIR: '/srv/prod-state',
  DRCTL_RUNBOOKS: '/srv/prod-runbooks',
  AWS_PROFILE: 'production',
  AWS_ENDPOINT_URL: 'https://example.invalid',
  PGHOST: 'prod-db.example.invalid',
  DATABASE_URL: 'postgresql://prod-db.example.invalid/shop',
  KUBECONFIG: '/root/.kube/prod',
  CI: 'true',
  FORCE_COLOR: '3',
  XDG_STATE_HOME: '/root/.local/state',
};

describe('how the tests run drctl', () => {
  it("passes on none of the developer's DRCTL_*, AWS_*, PG*, DATABASE_URL, KUBECONFIG, CI or colour settings", () => {
    shellHas(STRAY);
    const env = envOf();
    for (const name of Object.keys(STRAY).filter((n) => n !== 'XDG_STATE_HOME')) expect(env, name).not.toHaveProperty(name);
    expect(env.NO_COLOR).toBe('1');
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('gives drctl an empty home of its own, XDG folders inside it, the same for every run of one test', async () => {
    shellHas(STRAY);
    const env = envOf();
    expect(env.HOME).not.toBe(homedir());
    expect(env.XDG_STATE_HOME).toBe(`${env.HOME}/.local/state`);
    expect(env.XDG_CONFIG_HOME).toBe(`${env.HOME}/.config`);
    expect(readdirSync(env.HOME!).sort()).toEqual(['.cache', '.config', '.local']);
    const background = JSON.parse((await drctlAsync([], { command: PRINT_ENV })).stdout) as Record<string, string>;
    expect(background.HOME).toBe(env.HOME);
    homeOfEarlierTest = env.HOME!;
  });

  it('removes that home when the test ends, and gives the next test a new one', () => {
    expect(homeOfEarlierTest).toMatch(/drctl-home-/);
    expect(existsSync(homeOfEarlierTest)).toBe(false);
    expect(envOf().HOME).not.toBe(homeOfEarlierTest);
  });

  it('adds what a test asks for: variables, a removed variable, folders first on PATH', () => {
    shellHas({ SHOP_TOKEN: 'from-the-shell' });
    const env = envOf({ env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', CI: '1', SHOP_TOKEN: undefined }, path: ['/opt/fake-bin'] });
    expect(env).toMatchObject({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', CI: '1' });
    expect(env).not.toHaveProperty('SHOP_TOKEN');
    expect(env.PATH).toBe(['/opt/fake-bin', process.env.PATH].join(delimiter));
  });

  it('gives a terminal the same environment through its command line', () => {
    shellHas({ ...STRAY, SHOP_NOTE: "it's $(not run)" });
    const direct = envOf({ env: { DEMO_TOKEN: "quote ' and space" } });
    // A terminal's shell inherits this process's environment, as tmux's does.
    const line = drctlCommandLine([], { env: { DEMO_TOKEN: "quote ' and space" }, command: PRINT_ENV });
    const viaShell = JSON.parse(execFileSync('bash', ['-c', line], { encoding: 'utf8' })) as Record<string, string>;
    for (const added of ['PWD', 'OLDPWD', 'SHLVL', '_']) {
      delete viaShell[added];
      delete direct[added];
    }
    expect(viaShell).toEqual(direct);
  });
});
