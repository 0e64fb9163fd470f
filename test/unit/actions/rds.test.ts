import { describe, expect, it } from 'vitest';
import type { RdsInstance, RdsPort, RdsRestoreOptions, RdsSnapshot } from '../../../src/ports/rds.js';
import { DEFAULT_POLL_MS } from '../../../src/actions/args.js';
import { promoteReplicaAction } from '../../../src/actions/rds/promote-replica.js';
import { restorePitrAction } from '../../../src/actions/rds/restore-pitr.js';
import { newestSnapshot, restoreSnapshotAction } from '../../../src/actions/rds/restore-snapshot.js';
import { defaultSnapshotId, snapshotAction } from '../../../src/actions/rds/snapshot.js';
import { waitAction } from '../../../src/actions/rds/wait.js';
import { rdsActions } from '../../../src/actions/rds/index.js';
import type { ActionContext, ActionDefinition } from '../../../src/actions/types.js';
import { ActionError } from '../../../src/actions/types.js';
import { checkActionArgs, parseActionArgs } from '../../../src/actions/validate-args.js';
import { fakeActionContext } from '../../support/action-context.js';

/** A scripted RDS: each describe of an instance takes the next state from its script (the last one repeats). */
class FakeRds implements RdsPort {
  scripts = new Map<string, Array<Partial<RdsInstance> | 'gone'>>();
  snapshots: RdsSnapshot[] = [];
  calls: Array<{ op: string; args: unknown[] }> = [];
  signals: AbortSignal[] = [];
  fail: Partial<Record<keyof RdsPort, unknown>> = {};

  script(id: string, ...states: Array<Partial<RdsInstance> | 'gone'>): this {
    this.scripts.set(id, states);
    return this;
  }

  private call(op: keyof RdsPort, signal: AbortSignal, ...args: unknown[]): void {
    this.calls.push({ op, args });
    this.signals.push(signal);
    if (this.fail[op]) throw this.fail[op];
  }

  private state(id: string): RdsInstance | undefined {
    const script = this.scripts.get(id);
    if (!script?.length) return undefined;
    const next = script.length > 1 ? script.shift()! : script[0]!;
    if (next === 'gone') return undefined;
    return { id, status: 'available', arn: `arn:aws:rds:us-east-1:1:db:${id}`, endpoint: `${id}.abc.us-east-1.rds.amazonaws.com`, ...next };
  }

  async describeInstance(id: string, signal: AbortSignal) {
    this.call('describeInstance', signal, id);
    return this.state(id);
  }
  async restoreToPointInTime(source: string, time: Date | undefined, options: RdsRestoreOptions, signal: AbortSignal) {
    this.call('restoreToPointInTime', signal, source, time, options);
    return { id: options.target, status: 'creating', arn: `arn:aws:rds:us-east-1:1:db:${options.target}` };
  }
  async restoreFromSnapshot(snapshot: string, options: RdsRestoreOptions, signal: AbortSignal) {
    this.call('restoreFromSnapshot', signal, snapshot, options);
    return { id: options.target, status: 'creating', arn: `arn:aws:rds:us-east-1:1:db:${options.target}` };
  }
  async promoteReadReplica(id: string, signal: AbortSignal) {
    this.call('promoteReadReplica', signal, id);
    return { id, status: 'modifying', replicaSource: 'prod' };
  }
  async createSnapshot(instance: string, snapshotId: string, signal: AbortSignal) {
    this.call('createSnapshot', signal, instance, snapshotId);
    return { id: snapshotId, instance, status: 'creating' };
  }
  async describeSnapshot(id: string, signal: AbortSignal) {
    this.call('describeSnapshot', signal, id);
    const found = this.snapshots.filter((s) => s.id === id);
    // Several entries of one id: successive describes walk through them.
    if (found.length > 1) this.snapshots.splice(this.snapshots.indexOf(found[0]!), 1);
    return found[0];
  }
  async listSnapshots(instance: string, signal: AbortSignal) {
    this.call('listSnapshots', signal, instance);
    return this.snapshots.filter((s) => s.instance === instance);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function run(action: ActionDefinition<any>, withArgs: Record<string, unknown>, ctx: ActionContext) {
  return action.run(parseActionArgs(action, withArgs), ctx);
}

describe('rds actions: registry', () => {
  it('registers the five actions', () => {
    expect(rdsActions.map((a) => a.name).sort()).toEqual([
      'rds.promote-replica',
      'rds.restore-pitr',
      'rds.restore-snapshot',
      'rds.snapshot',
      'rds.wait',
    ]);
  });
});

describe('waiting on an instance', () => {
  it('polls DescribeDBInstances at poll_interval until the status is reached', async () => {
    const rds = new FakeRds().script(
      'db-restore',
      { status: 'creating', endpoint: undefined },
      { status: 'creating', endpoint: undefined },
      { status: 'backing-up' },
      { status: 'available' },
    );
    const ctx = fakeActionContext();
    const out = await run(
      waitAction(() => rds),
      { instance: 'db-restore', poll_interval: '2s' },
      ctx,
    );
    expect(out).toEqual({ status: 'available', endpoint: 'db-restore.abc.us-east-1.rds.amazonaws.com' });
    expect(ctx.sleeps).toEqual([2000, 2000, 2000]);
    expect(rds.calls.filter((c) => c.op === 'describeInstance')).toHaveLength(4);
    expect(ctx.logs).toContain('waiting for db-restore: creating (0s)');
    expect(ctx.logs).toContainEqual(expect.stringMatching(/^waiting for db-restore: backing-up \(\d+s\)$/));
    expect(ctx.records.at(-1)).toMatchObject({ instance: 'db-restore', status: 'available', checks: 4 });
  });

  it('defaults to a 15s poll interval and to waiting for available', async () => {
    const rds = new FakeRds().script('db', { status: 'modifying' }, { status: 'available' });
    const ctx = fakeActionContext();
    await run(
      waitAction(() => rds),
      { instance: 'db' },
      ctx,
    );
    expect(ctx.sleeps).toEqual([DEFAULT_POLL_MS]);
    expect(DEFAULT_POLL_MS).toBe(15_000);
  });

  it('waits for another status when asked (case-insensitive)', async () => {
    const rds = new FakeRds().script('db', { status: 'available' }, { status: 'stopping' }, { status: 'stopped' });
    const ctx = fakeActionContext();
    expect(
      await run(
        waitAction(() => rds),
        { instance: 'db', status: 'Stopped', poll_interval: '1s' },
        ctx,
      ),
    ).toMatchObject({ status: 'stopped' });
    expect(ctx.sleeps).toEqual([1000, 1000]);
  });

  it('waiting for deleted ends when the instance is gone', async () => {
    const rds = new FakeRds().script('db', { status: 'deleting' }, 'gone');
    expect(
      await run(
        waitAction(() => rds),
        { instance: 'db', status: 'deleted', poll_interval: '1s' },
        fakeActionContext(),
      ),
    ).toEqual({ status: 'deleted', endpoint: null });
  });

  for (const status of [
    'failed',
    'incompatible-restore',
    'incompatible-parameters',
    'incompatible-network',
    'storage-full',
    'inaccessible-encryption-credentials',
  ]) {
    it(`fails at once, in one line naming the instance, on the terminal status ${status}`, async () => {
      const rds = new FakeRds().script('db-restore', { status: 'creating' }, { status });
      const ctx = fakeActionContext();
      const error = await run(
        waitAction(() => rds),
        { instance: 'db-restore', poll_interval: '1s' },
        ctx,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ActionError);
      expect((error as Error).message).toBe(`rds.wait: db-restore is ${status}: it will not become available`);
      expect(ctx.sleeps).toEqual([1000]);
      expect(ctx.records.at(-1)).toMatchObject({ status, terminal: true });
    });
  }

  it('fails at once when the instance disappears', async () => {
    const rds = new FakeRds().script('db-restore', { status: 'creating' }, 'gone');
    await expect(
      run(
        waitAction(() => rds),
        { instance: 'db-restore', poll_interval: '1s' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('rds.wait: db-restore no longer exists (DBInstanceNotFound) while waiting for available');
  });

  it("is ended by the step's timeout through ctx.signal, which also reaches every AWS call", async () => {
    const rds = new FakeRds().script('db-restore', { status: 'creating' });
    const ctx = fakeActionContext({ realSleep: true, timeoutMs: 120 });
    const timer = setTimeout(() => ctx.controller.abort(new Error('timeout')), 120);
    const started = Date.now();
    const error = await run(
      waitAction(() => rds),
      { instance: 'db-restore', poll_interval: '20ms' },
      ctx,
    ).catch((e: unknown) => e);
    clearTimeout(timer);
    expect((error as Error).message).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(rds.calls.length).toBeGreaterThan(2);
    expect(rds.signals.every((s) => s === ctx.signal)).toBe(true);
  });

  it('an AWS failure becomes one line with the action, the instance and the AWS error code', async () => {
    const rds = new FakeRds();
    rds.fail.describeInstance = Object.assign(new Error('User: x is not authorized to perform: rds:DescribeDBInstances\nmore'), {
      name: 'AccessDenied',
      Code: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      run(
        waitAction(() => rds),
        { instance: 'db' },
        fakeActionContext(),
      ),
    ).rejects.toThrow(/^rds\.wait: db: AccessDenied: User: x is not authorized to perform: rds:DescribeDBInstances \(HTTP 403\)$/);
  });

  it('an abort during an AWS call is passed through, not dressed as an AWS failure', async () => {
    const rds = new FakeRds();
    const ctx = fakeActionContext();
    ctx.controller.abort(new Error('timeout'));
    rds.fail.describeInstance = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    const error = await run(
      waitAction(() => rds),
      { instance: 'db' },
      ctx,
    ).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ActionError);
    expect((error as Error).name).toBe('AbortError');
  });
});

describe('rds.restore-pitr', () => {
  it('with time latest: restores to the latest restorable time, which is the recovery point', async () => {
    const latest = new Date('2026-11-22T02:55:13Z');
    const rds = new FakeRds()
      .script('prod', { status: 'available', latestRestorableTime: latest })
      .script('db-restore', { status: 'creating', endpoint: undefined }, { status: 'available' });
    const ctx = fakeActionContext();
    const out = await run(
      restorePitrAction(() => rds),
      {
        source: 'prod',
        target: 'db-restore',
        time: 'latest',
        instance_class: 'db.r6g.large',
        security_groups: 'sg-1',
        poll_interval: '5s',
      },
      ctx,
    );
    expect(out).toEqual({
      endpoint: 'db-restore.abc.us-east-1.rds.amazonaws.com',
      arn: 'arn:aws:rds:us-east-1:1:db:db-restore',
      restored_to: '2026-11-22T02:55:13.000Z',
    });
    const restore = rds.calls.find((c) => c.op === 'restoreToPointInTime')!;
    expect(restore.args).toEqual([
      'prod',
      undefined,
      { target: 'db-restore', instanceClass: 'db.r6g.large', subnetGroup: undefined, securityGroups: ['sg-1'] },
    ]);
    expect(ctx.points).toEqual([{ at: latest, evidence: 'rds:prod@2026-11-22T02:55:13.000Z' }]);
    expect(ctx.sleeps).toEqual([5000]);
    expect(ctx.records[0]).toMatchObject({
      source: 'prod',
      target: 'db-restore',
      restore_time: '2026-11-22T02:55:13.000Z',
      use_latest_restorable_time: true,
    });
  });

  it('with an ISO time: restores to exactly that time without waiting when wait is false', async () => {
    const rds = new FakeRds();
    const ctx = fakeActionContext();
    const out = await run(
      restorePitrAction(() => rds),
      { source: 'prod', target: 'db-restore', time: '2026-11-22T04:50:00+02:00', wait: 'false' },
      ctx,
    );
    expect(out).toEqual({ endpoint: null, arn: 'arn:aws:rds:us-east-1:1:db:db-restore', restored_to: '2026-11-22T02:50:00.000Z' });
    expect(rds.calls.map((c) => c.op)).toEqual(['restoreToPointInTime']);
    expect(rds.calls[0]!.args[1]).toEqual(new Date('2026-11-22T02:50:00Z'));
    expect(ctx.points.at(-1)?.evidence).toBe('rds:prod@2026-11-22T02:50:00.000Z');
  });

  it('refuses a time without a zone, and names a missing source', async () => {
    const action = restorePitrAction(() => new FakeRds());
    expect(() => parseActionArgs(action, { source: 'a', target: 'b', time: '2026-11-22 02:50' })).toThrow(
      /argument time: expected an ISO time with its zone/,
    );
    await expect(run(action, { source: 'prod', target: 'b', time: 'latest' }, fakeActionContext())).rejects.toThrow(
      'rds.restore-pitr: prod: DBInstanceNotFound: no such source instance',
    );
  });

  it('reports an AWS refusal of the restore in one line', async () => {
    const rds = new FakeRds();
    rds.fail.restoreToPointInTime = Object.assign(new Error('DB instance already exists'), {
      name: 'DBInstanceAlreadyExistsFault',
      Code: 'DBInstanceAlreadyExists',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      run(
        restorePitrAction(() => rds),
        { source: 'prod', target: 'db-restore', time: '2026-11-22T02:50:00Z' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('rds.restore-pitr: prod → db-restore: DBInstanceAlreadyExists: DB instance already exists (HTTP 400)');
  });

  it('fails fast when the restore ends incompatible', async () => {
    const rds = new FakeRds().script('db-restore', { status: 'creating' }, { status: 'incompatible-restore' });
    await expect(
      run(
        restorePitrAction(() => rds),
        { source: 'prod', target: 'db-restore', time: '2026-11-22T02:50:00Z', poll_interval: '1s' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('rds.restore-pitr: db-restore is incompatible-restore: it will not become available');
  });
});

describe('rds.restore-snapshot', () => {
  const at = (iso: string) => new Date(iso);
  const snapshots: RdsSnapshot[] = [
    { id: 'rds:prod-2026-11-21-03-00', instance: 'prod', status: 'available', type: 'automated', createdAt: at('2026-11-21T03:00:00Z') },
    { id: 'prod-before-upgrade', instance: 'prod', status: 'available', type: 'manual', createdAt: at('2026-11-22T01:30:00Z') },
    { id: 'rds:prod-2026-11-22-03-00', instance: 'prod', status: 'creating', type: 'automated', createdAt: at('2026-11-22T03:00:00Z') },
    { id: 'old-copy', instance: 'prod', status: 'available', type: 'manual', createdAt: at('2026-11-20T00:00:00Z') },
    { id: 'other', instance: 'staging', status: 'available', type: 'manual', createdAt: at('2026-11-22T02:59:00Z') },
  ];

  it('latest_of picks the newest available snapshot of that instance, automated or manual', () => {
    expect(newestSnapshot(snapshots.filter((s) => s.instance === 'prod'))?.id).toBe('prod-before-upgrade');
    expect(newestSnapshot([])).toBeUndefined();
  });

  it('restores the newest snapshot, records its capture time as the recovery point', async () => {
    const rds = new FakeRds().script('db-restore', { status: 'creating' }, { status: 'available' });
    rds.snapshots = [...snapshots];
    const ctx = fakeActionContext();
    const out = await run(
      restoreSnapshotAction(() => rds),
      { latest_of: 'prod', target: 'db-restore', subnet_group: 'private', poll_interval: '1s' },
      ctx,
    );
    expect(out).toEqual({
      endpoint: 'db-restore.abc.us-east-1.rds.amazonaws.com',
      arn: 'arn:aws:rds:us-east-1:1:db:db-restore',
      snapshot: 'prod-before-upgrade',
    });
    expect(rds.calls.find((c) => c.op === 'restoreFromSnapshot')!.args).toEqual([
      'prod-before-upgrade',
      { target: 'db-restore', instanceClass: undefined, subnetGroup: 'private', securityGroups: undefined },
    ]);
    expect(ctx.points).toEqual([{ at: at('2026-11-22T01:30:00Z'), evidence: 'rds-snapshot:prod-before-upgrade' }]);
    expect(ctx.records[0]).toMatchObject({ latest_of: 'prod', snapshot: 'prod-before-upgrade', snapshot_type: 'manual', candidates: 4 });
  });

  it('says so when an instance has no available snapshot', async () => {
    const rds = new FakeRds();
    rds.snapshots = [{ id: 's', instance: 'prod', status: 'creating', createdAt: new Date() }];
    await expect(
      run(
        restoreSnapshotAction(() => rds),
        { latest_of: 'prod', target: 't' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('rds.restore-snapshot: prod: no available snapshot (1 found, none available)');
    await expect(
      run(
        restoreSnapshotAction(() => rds),
        { latest_of: 'nope', target: 't' },
        fakeActionContext(),
      ),
    ).rejects.toThrow(/nope: no available snapshot \(none found/);
  });

  it('restores a named snapshot, and refuses a missing or unfinished one', async () => {
    const rds = new FakeRds();
    rds.snapshots = [...snapshots];
    expect(
      await run(
        restoreSnapshotAction(() => rds),
        { snapshot: 'old-copy', target: 't', wait: false },
        fakeActionContext(),
      ),
    ).toMatchObject({ snapshot: 'old-copy', endpoint: null });
    await expect(
      run(
        restoreSnapshotAction(() => rds),
        { snapshot: 'missing', target: 't' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('rds.restore-snapshot: snapshot missing: DBSnapshotNotFound: no such snapshot');
    await expect(
      run(
        restoreSnapshotAction(() => rds),
        { snapshot: 'rds:prod-2026-11-22-03-00', target: 't' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('snapshot rds:prod-2026-11-22-03-00 is creating, not available');
  });

  it('takes exactly one of snapshot and latest_of', () => {
    const action = restoreSnapshotAction();
    expect(checkActionArgs(action, { target: 't' }).map((p) => p.message)).toEqual([
      'rds.restore-snapshot: argument with: give either snapshot or latest_of (exactly one)',
    ]);
    expect(checkActionArgs(action, { target: 't', snapshot: 'a', latest_of: 'b' })).toHaveLength(1);
    expect(checkActionArgs(action, { target: 't', latest_of: '${{ inputs.db }}' })).toEqual([]);
  });
});

describe('rds.promote-replica', () => {
  it('promotes, then waits until the instance is available and no longer a replica', async () => {
    const rds = new FakeRds().script(
      'replica',
      { status: 'available', replicaSource: 'prod' },
      { status: 'modifying', replicaSource: 'prod' },
      { status: 'rebooting', replicaSource: 'prod' },
      { status: 'available' },
    );
    const ctx = fakeActionContext();
    expect(
      await run(
        promoteReplicaAction(() => rds),
        { instance: 'replica', poll_interval: '3s' },
        ctx,
      ),
    ).toEqual({ endpoint: 'replica.abc.us-east-1.rds.amazonaws.com' });
    expect(rds.calls.map((c) => c.op)).toEqual([
      'describeInstance',
      'promoteReadReplica',
      'describeInstance',
      'describeInstance',
      'describeInstance',
    ]);
    expect(ctx.sleeps).toEqual([3000, 3000]);
    expect(ctx.logs).toContain('waiting for replica: modifying, still a replica of prod (0s)');
    expect(ctx.records[0]).toEqual({ instance: 'replica', promoted: true, source: 'prod', status: 'modifying' });
  });

  it('does not take a stale "available" right after the request for the end of the promotion', async () => {
    const rds = new FakeRds().script(
      'replica',
      { status: 'available', replicaSource: 'prod' },
      { status: 'available', replicaSource: 'prod' },
      { status: 'rebooting', replicaSource: 'prod' },
      { status: 'available', replicaSource: 'prod' },
    );
    const ctx = fakeActionContext();
    await run(
      promoteReplicaAction(() => rds),
      { instance: 'replica', poll_interval: '1s' },
      ctx,
    );
    expect(ctx.logs).toContain('waiting for replica: available, still a replica of prod (0s)');
    expect(rds.calls.filter((c) => c.op === 'describeInstance')).toHaveLength(4);
    expect(ctx.sleeps).toEqual([1000, 1000]);
  });

  it('takes a promotion the service answers as already available at its word (as moto does)', async () => {
    const rds = new FakeRds().script('replica', { status: 'available', replicaSource: 'prod' });
    rds.promoteReadReplica = async (id: string) => ({ id, status: 'available', replicaSource: 'prod' });
    const ctx = fakeActionContext();
    await run(
      promoteReplicaAction(() => rds),
      { instance: 'replica' },
      ctx,
    );
    expect(ctx.sleeps).toEqual([]);
  });

  it('does not call promote again on an instance that is no longer a replica', async () => {
    const rds = new FakeRds().script('replica', { status: 'available' });
    const ctx = fakeActionContext();
    await run(
      promoteReplicaAction(() => rds),
      { instance: 'replica' },
      ctx,
    );
    expect(rds.calls.map((c) => c.op)).toEqual(['describeInstance', 'describeInstance']);
    expect(ctx.logs[0]).toContain('is not a read replica');
  });
});

describe('rds.snapshot', () => {
  it('names the snapshot <instance>-drctl-<yyyymmddHHMMss> (UTC) and waits until it is available', async () => {
    expect(defaultSnapshotId('prod', new Date('2026-11-22T03:04:05.678Z'))).toBe('prod-drctl-20261122030405');
    const rds = new FakeRds();
    rds.snapshots = [
      { id: 'prod-drctl-20261122030405', instance: 'prod', status: 'creating', progress: 40 },
      { id: 'prod-drctl-20261122030405', instance: 'prod', status: 'available' },
    ];
    const ctx = fakeActionContext();
    const out = await run(
      snapshotAction(
        () => rds,
        () => new Date('2026-11-22T03:04:05.678Z'),
      ),
      { instance: 'prod', poll_interval: '1s' },
      ctx,
    );
    expect(out).toEqual({ snapshot_id: 'prod-drctl-20261122030405' });
    expect(ctx.logs).toContain('waiting for snapshot prod-drctl-20261122030405: creating, 40% (0s)');
    expect(ctx.sleeps).toEqual([1000]);
  });

  it('fails fast on a failed snapshot', async () => {
    const rds = new FakeRds();
    rds.snapshots = [{ id: 'mine', instance: 'prod', status: 'failed' }];
    await expect(
      run(
        snapshotAction(() => rds),
        { instance: 'prod', snapshot_id: 'mine' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('rds.snapshot: snapshot mine is failed: it will not become available');
  });
});
