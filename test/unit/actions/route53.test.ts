import { describe, expect, it } from 'vitest';
import { fqdn } from '../../../src/adapters/route53-port.js';
import type { DnsRecord, HostedZoneRef, Route53Port } from '../../../src/ports/route53.js';
import { route53Actions } from '../../../src/actions/route53/index.js';
import { previousFrom, sameRecord, upsertAction } from '../../../src/actions/route53/upsert.js';
import { ActionError } from '../../../src/actions/types.js';
import { checkActionArgs, parseActionArgs } from '../../../src/actions/validate-args.js';
import type { FakeActionContextOptions } from '../../support/action-context.js';
import { fakeActionContext } from '../../support/action-context.js';

/** An in-memory Route 53: zones, their record sets, and changes that stay PENDING for `pendingChecks` GetChange calls. */
class FakeRoute53 implements Route53Port {
  zones: HostedZoneRef[] = [
    { id: 'ZEXAMPLE', name: 'example.com.' },
    { id: 'ZSUB', name: 'sub.example.com.' },
  ];
  records = new Map<string, DnsRecord[]>();
  changes: Array<{ zoneId: string; action: string; record: DnsRecord; comment: string }> = [];
  pendingChecks = 0;
  statusChecks = 0;

  constructor(initial: Record<string, DnsRecord[]> = {}) {
    for (const [zone, records] of Object.entries(initial)) this.records.set(zone, records);
  }

  async zonesNamed(name: string) {
    return this.zones.filter((z) => z.name === fqdn(name));
  }
  async getZone(id: string) {
    return this.zones.find((z) => z.id === id);
  }
  async recordSets(zoneId: string, name: string, type: string) {
    return (this.records.get(zoneId) ?? []).filter((r) => r.name === fqdn(name) && r.type === type).map((r) => structuredClone(r));
  }
  async change(zoneId: string, action: 'UPSERT' | 'DELETE', record: DnsRecord, comment: string) {
    this.changes.push({ zoneId, action, record: structuredClone(record), comment });
    const list = (this.records.get(zoneId) ?? []).filter((r) => !(r.name === record.name && r.type === record.type));
    if (action === 'UPSERT') list.push(structuredClone(record));
    this.records.set(zoneId, list);
    return { id: `C${this.changes.length}`, status: 'PENDING' };
  }
  async changeStatus() {
    this.statusChecks++;
    return this.statusChecks > this.pendingChecks ? 'INSYNC' : 'PENDING';
  }
  current(zoneId: string, name: string, type: string): DnsRecord | undefined {
    return this.records.get(zoneId)?.find((r) => r.name === fqdn(name) && r.type === type);
  }
}

/** The context of a step with the id `dns` (the id shows in the change comment). */
const context = (options: FakeActionContextOptions = {}) => fakeActionContext({ stepId: 'dns', ...options });

const OLD: DnsRecord = { name: 'db.example.com.', type: 'CNAME', ttl: 60, values: ['old-db.abc.rds.amazonaws.com'] };
const WITH = {
  zone: 'example.com',
  name: 'db.example.com',
  type: 'CNAME',
  ttl: 60,
  values: ['db-restore.abc.rds.amazonaws.com'],
  poll_interval: '2s',
};

async function upsert(r53: FakeRoute53, withArgs: Record<string, unknown>, ctx = context()) {
  const action = upsertAction(() => r53);
  const args = parseActionArgs(action, withArgs);
  const outputs = await action.run(args, ctx);
  return { action, args, outputs, ctx };
}

describe('route53.upsert', () => {
  it('is registered with its automatic rollback', () => {
    expect(route53Actions.map((a) => a.name)).toEqual(['route53.upsert']);
    expect(route53Actions[0]!.rollback).toBeTypeOf('function');
  });

  it('replaces a record, outputs what it replaced as previous, and waits for INSYNC', async () => {
    const r53 = new FakeRoute53({ ZEXAMPLE: [OLD] });
    r53.pendingChecks = 2;
    const { outputs, ctx } = await upsert(r53, WITH);
    expect(outputs).toEqual({ change_id: 'C1', previous: OLD });
    expect(JSON.parse(JSON.stringify(outputs.previous))).toEqual(OLD);
    expect(r53.current('ZEXAMPLE', 'db.example.com', 'CNAME')?.values).toEqual(['db-restore.abc.rds.amazonaws.com']);
    expect(r53.changes[0]).toMatchObject({ zoneId: 'ZEXAMPLE', action: 'UPSERT', comment: 'drctl: dns' });
    expect(ctx.sleeps).toEqual([2000, 2000]);
    expect(ctx.logs[0]).toBe('db.example.com. CNAME: old-db.abc.rds.amazonaws.com (ttl 60) → db-restore.abc.rds.amazonaws.com (ttl 60)');
    expect(ctx.logs).toContainEqual(
      expect.stringMatching(/^waiting for change C1 \(db\.example\.com\. CNAME in zone example\.com\. \(ZEXAMPLE\)\): PENDING \(\d+s\)$/),
    );
    expect(ctx.records[0]).toMatchObject({ zone_id: 'ZEXAMPLE', name: 'db.example.com.', change_id: 'C1', previous: OLD });
  });

  it('outputs previous null when it created the record; takes a zone id and one value without a list', async () => {
    const r53 = new FakeRoute53();
    const { outputs, ctx } = await upsert(r53, {
      zone: '/hostedzone/ZEXAMPLE',
      name: 'new.example.com.',
      type: 'a',
      values: '10.0.0.7',
      wait: false,
    });
    expect(outputs).toEqual({ change_id: 'C1', previous: null });
    expect(r53.current('ZEXAMPLE', 'new.example.com', 'A')).toEqual({
      name: 'new.example.com.',
      type: 'A',
      ttl: 300,
      values: ['10.0.0.7'],
    });
    expect(r53.statusChecks).toBe(0);
    expect(ctx.logs[0]).toBe('new.example.com. A: creating 10.0.0.7 (ttl 300)');
  });

  it('writes alias records', async () => {
    const r53 = new FakeRoute53();
    await upsert(r53, {
      zone: 'example.com.',
      name: 'app.example.com',
      type: 'A',
      alias: { dns_name: 'lb-1.us-east-1.elb.amazonaws.com', zone_id: 'Z35SXDOTRQ7X7K', evaluate_health: 'true' },
    });
    expect(r53.current('ZEXAMPLE', 'app.example.com', 'A')).toEqual({
      name: 'app.example.com.',
      type: 'A',
      alias: { dns_name: 'lb-1.us-east-1.elb.amazonaws.com', zone_id: 'Z35SXDOTRQ7X7K', evaluate_health: true },
    });
  });

  it('looks a zone name up exactly, and refuses a missing or ambiguous one', async () => {
    const r53 = new FakeRoute53();
    await upsert(r53, { ...WITH, zone: 'sub.example.com', name: 'db.sub.example.com' });
    expect(r53.changes[0]!.zoneId).toBe('ZSUB');
    await expect(upsert(r53, { ...WITH, zone: 'other.com' })).rejects.toThrow(
      'route53.upsert: zone other.com.: no hosted zone has this name (NoSuchHostedZone)',
    );
    r53.zones.push({ id: 'ZPRIVATE', name: 'example.com.', private: true });
    await expect(upsert(r53, WITH)).rejects.toThrow(
      'route53.upsert: zone example.com.: 2 hosted zones have this name (ZEXAMPLE, ZPRIVATE (private)): give the zone id',
    );
    await expect(upsert(r53, { ...WITH, zone: 'ZNOPE' })).rejects.toThrow(
      'route53.upsert: zone ZNOPE: NoSuchHostedZone: no hosted zone has this id',
    );
    // A missing zone stays missing: the step's retries do not repeat it.
    await expect(upsert(r53, { ...WITH, zone: 'ZNOPE' })).rejects.toMatchObject({ permanent: true });
    await expect(upsert(r53, { ...WITH, zone: 'other.com' })).rejects.toMatchObject({ permanent: true });
  });

  it('refuses a name outside the zone and records with a routing policy', async () => {
    const r53 = new FakeRoute53({ ZEXAMPLE: [{ ...OLD, set_identifier: 'blue' }] });
    await expect(upsert(r53, { ...WITH, name: 'db' })).rejects.toThrow(
      'route53.upsert: db. is not in zone example.com. (ZEXAMPLE): write the full name, e.g. db.example.com.',
    );
    await expect(upsert(r53, WITH)).rejects.toThrow(
      /has 1 record set\(s\) with a routing policy \(set identifier blue\): route53.upsert manages simple records only/,
    );
    expect(r53.changes).toEqual([]);
  });

  it('reports an AWS failure in one line', async () => {
    const r53 = new FakeRoute53();
    r53.change = () =>
      Promise.reject(
        Object.assign(new Error('RRSet of type CNAME with DNS name db.example.com. is not permitted as it conflicts with other records'), {
          name: 'InvalidChangeBatch',
          $metadata: { httpStatusCode: 400 },
        }),
      );
    const error = await upsert(r53, WITH).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toBe(
      'route53.upsert: db.example.com. CNAME in zone example.com. (ZEXAMPLE): InvalidChangeBatch: RRSet of type CNAME with DNS name db.example.com. is not permitted as it conflicts with other records (HTTP 400)',
    );
  });

  it('checks its arguments: values or alias, no ttl on an alias, a known type', () => {
    const action = upsertAction();
    const messages = (w: Record<string, unknown>) => checkActionArgs(action, w).map((p) => p.message);
    expect(messages({ zone: 'z', name: 'n', type: 'A' })).toEqual([
      'route53.upsert: argument with: give either values or alias (exactly one)',
    ]);
    expect(messages({ zone: 'z', name: 'n', type: 'A', values: ['1.2.3.4'], alias: { dns_name: 'x', zone_id: 'y' } })).toHaveLength(1);
    expect(messages({ zone: 'z', name: 'n', type: 'A', ttl: 60, alias: { dns_name: 'x', zone_id: 'y' } })).toEqual([
      'route53.upsert: argument ttl: an alias record takes no ttl (it uses the target’s)',
    ]);
    expect(messages({ zone: 'z', name: 'n', type: 'BOGUS', values: ['x'] })[0]).toMatch(/argument type: expected a record type/);
    expect(messages({ zone: 'z', name: 'n', type: 'CNAME', values: '${{ steps.restore.outputs.endpoint }}' })).toEqual([]);
  });
});

describe('route53.upsert rollback', () => {
  it('puts back the record it replaced, and waits for INSYNC', async () => {
    const r53 = new FakeRoute53({ ZEXAMPLE: [OLD] });
    const { action, args, outputs } = await upsert(r53, WITH);
    const ctx = context();
    r53.pendingChecks = r53.statusChecks + 1;
    await action.rollback!(args, outputs, ctx);
    expect(r53.current('ZEXAMPLE', 'db.example.com', 'CNAME')).toEqual(OLD);
    expect(r53.changes.at(-1)).toMatchObject({ action: 'UPSERT', record: OLD, comment: 'drctl rollback: dns' });
    expect(ctx.sleeps).toEqual([2000]);
    expect(ctx.records[0]).toMatchObject({ undo: 'restore', record: OLD });
  });

  it('accepts previous as JSON text (as expressions and resumed runs carry it)', async () => {
    const r53 = new FakeRoute53({ ZEXAMPLE: [OLD] });
    const { action, args, outputs } = await upsert(r53, WITH);
    await action.rollback!(args, { ...outputs, previous: JSON.stringify(outputs.previous) }, context());
    expect(r53.current('ZEXAMPLE', 'db.example.com', 'CNAME')).toEqual(OLD);
    expect(previousFrom('null')).toBeNull();
    expect(previousFrom(undefined)).toBeNull();
    expect(() => previousFrom('{oops')).toThrow(/not readable JSON/);
  });

  it('deletes the record it created', async () => {
    const r53 = new FakeRoute53();
    const { action, args, outputs } = await upsert(r53, WITH);
    await action.rollback!(args, outputs, context());
    expect(r53.current('ZEXAMPLE', 'db.example.com', 'CNAME')).toBeUndefined();
    expect(r53.changes.at(-1)).toMatchObject({ action: 'DELETE', record: { values: ['db-restore.abc.rds.amazonaws.com'] } });
  });

  it('leaves a created record alone when someone changed it since, and is content when it is already gone', async () => {
    const r53 = new FakeRoute53();
    const { action, args, outputs } = await upsert(r53, WITH);
    r53.records.set('ZEXAMPLE', [{ ...OLD, values: ['hand-edited.example.net'] }]);
    await expect(action.rollback!(args, outputs, context())).rejects.toThrow(
      /changed since drctl created it \(now hand-edited\.example\.net \(ttl 60\)\): not deleting it/,
    );
    expect(r53.current('ZEXAMPLE', 'db.example.com', 'CNAME')?.values).toEqual(['hand-edited.example.net']);
    r53.records.set('ZEXAMPLE', []);
    const ctx = context();
    await action.rollback!(args, outputs, ctx);
    expect(ctx.logs).toEqual(['db.example.com. CNAME is already gone: nothing to delete']);
  });

  it("is bounded by the step's timeout while it waits for INSYNC", async () => {
    const r53 = new FakeRoute53({ ZEXAMPLE: [OLD] });
    const { action, args, outputs } = await upsert(r53, { ...WITH, wait: false });
    r53.pendingChecks = Infinity;
    const started = Date.now();
    await expect(
      action.rollback!({ ...args, wait: true, poll_interval: 20 }, outputs, context({ timeoutMs: 150, realSleep: true })),
    ).rejects.toThrow('route53.upsert: rollback of db.example.com CNAME: timed out after 150ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('record comparison', () => {
  it('compares as DNS does: names without case or final dot, values in any order', () => {
    expect(
      sameRecord(
        { name: 'A.example.com', type: 'A', ttl: 60, values: ['1.1.1.1', '2.2.2.2'] },
        { name: 'a.example.com.', type: 'A', ttl: 60, values: ['2.2.2.2', '1.1.1.1'] },
      ),
    ).toBe(true);
    expect(
      sameRecord(
        { name: 'a.example.com', type: 'A', ttl: 60, values: ['1.1.1.1'] },
        { name: 'a.example.com', type: 'A', ttl: 300, values: ['1.1.1.1'] },
      ),
    ).toBe(false);
    expect(fqdn('\\052.Example.com')).toBe('*.example.com.');
  });
});
