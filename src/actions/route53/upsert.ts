import * as z from '../../util/zod.js';
import { awsFailure, isPermanentAwsError } from '../../adapters/aws.js';
import { fqdn } from '../../adapters/route53-port.js';
import type { DnsRecord, HostedZoneRef, Route53Port } from '../../ports/route53.js';
import { formatDuration } from '../../util/duration.js';
import { arg, DEFAULT_POLL_MS, pollIntervalArg } from '../args.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import type { ActionContext } from '../types.js';

const NAME = 'route53.upsert';
const DEFAULT_TTL = 300;

/** How the action gets its Route 53 port: the SDK in drctl, a fake in unit tests. */
export type Route53PortFactory = (ctx: ActionContext) => Route53Port | Promise<Route53Port>;

const realRoute53Port: Route53PortFactory = async (ctx) => {
  const { createRoute53Port } = await import('../../adapters/route53-port.js');
  return createRoute53Port(ctx.aws);
};

const RECORD_TYPES = [
  'A',
  'AAAA',
  'CAA',
  'CNAME',
  'DS',
  'HTTPS',
  'MX',
  'NAPTR',
  'NS',
  'PTR',
  'SPF',
  'SRV',
  'SSHFP',
  'SVCB',
  'TLSA',
  'TXT',
] as const;

const upsertArgs = z
  .strictObject({
    /** Hosted zone id (Z0123...) or name (example.com.). */
    zone: arg.text(),
    /** Record name, e.g. db.example.com. */
    name: arg.text(),
    type: arg.prepared(
      (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
      z.enum(RECORD_TYPES, { error: `expected a record type: ${RECORD_TYPES.join(', ')}` }),
    ),
    /** Seconds (default {@link DEFAULT_TTL}; not with alias). */
    ttl: z.optional(arg.integer().check(z.gte(0, { error: 'must be 0 or more' }))),
    /** The record values (one value may be written without a list). */
    values: z.optional(
      arg.prepared(
        (v) => (typeof v === 'string' || typeof v === 'number' ? [String(v)] : v),
        arg.list(arg.text()).check(z.minLength(1, { error: 'must not be empty' })),
      ),
    ),
    /** An alias target instead of values: { dns_name, zone_id, evaluate_health }. */
    alias: z.optional(
      z.strictObject({
        dns_name: arg.text(),
        zone_id: arg.text(),
        evaluate_health: z._default(arg.boolean(), false),
      }),
    ),
    /** Wait until the change is INSYNC (default true). */
    wait: z._default(arg.boolean(), true),
    poll_interval: pollIntervalArg(),
  })
  .check(
    z.refine((a) => (a.values === undefined) !== (a.alias === undefined), { error: 'give either values or alias (exactly one)' }),
    z.refine((a) => a.alias === undefined || a.ttl === undefined, {
      error: 'an alias record takes no ttl (it uses the target’s)',
      path: ['ttl'],
    }),
  );

type UpsertArgs = z.output<typeof upsertArgs>;

function describeRecord(record: DnsRecord | null): string {
  if (!record) return '(none)';
  if (record.alias) return `alias ${record.alias.dns_name} (zone ${record.alias.zone_id})`;
  return `${(record.values ?? []).join(', ')} (ttl ${record.ttl ?? '-'})`;
}

function desiredRecord(args: UpsertArgs, name: string): DnsRecord {
  return args.alias
    ? {
        name,
        type: args.type,
        alias: { dns_name: args.alias.dns_name, zone_id: args.alias.zone_id, evaluate_health: args.alias.evaluate_health },
      }
    : { name, type: args.type, ttl: args.ttl ?? DEFAULT_TTL, values: args.values ?? [] };
}

const looseName = (value: string): string => value.trim().toLowerCase().replace(/\.$/, '');

/** Whether two record sets hold the same data (names and values compared as DNS compares them). */
export function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  if (fqdn(a.name) !== fqdn(b.name) || a.type !== b.type) return false;
  if (a.alias || b.alias) {
    return (
      !!a.alias &&
      !!b.alias &&
      looseName(a.alias.dns_name) === looseName(b.alias.dns_name) &&
      a.alias.zone_id === b.alias.zone_id &&
      a.alias.evaluate_health === b.alias.evaluate_health
    );
  }
  const values = (r: DnsRecord): string => [...(r.values ?? [])].map(looseName).sort().join('\n');
  return a.ttl === b.ttl && values(a) === values(b);
}

/** `previous` as the journal or a resumed run hands it back: an object, its JSON text, or null. */
export function previousFrom(value: unknown): DnsRecord | null {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      throw new ActionError(`${NAME}: cannot roll back: the previous record set is not readable JSON`);
    }
  }
  if (v === null || v === undefined) return null;
  const record = v as Partial<DnsRecord>;
  if (typeof record !== 'object' || typeof record.name !== 'string' || typeof record.type !== 'string') {
    throw new ActionError(`${NAME}: cannot roll back: the previous record set is malformed`);
  }
  return record as DnsRecord;
}

interface Call {
  ctx: ActionContext;
  port: Route53Port;
}

async function aws<T>({ ctx }: Call, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (ctx.signal.aborted || error instanceof ActionError) throw error;
    throw new ActionError(awsFailure(NAME, resource, error), { permanent: isPermanentAwsError(error) });
  }
}

/** A zone id is used as given; a name (it has a dot) is looked up, and must match exactly one zone. */
async function resolveZone(c: Call, zone: string): Promise<HostedZoneRef> {
  if (zone.includes('.')) {
    const zones = await aws(c, `zone ${zone}`, () => c.port.zonesNamed(zone, c.ctx.signal));
    if (zones.length === 0) throw new PermanentActionError(`${NAME}: zone ${fqdn(zone)}: no hosted zone has this name (NoSuchHostedZone)`);
    if (zones.length > 1) {
      const ids = zones.map((z) => `${z.id}${z.private ? ' (private)' : ''}`).join(', ');
      throw new PermanentActionError(`${NAME}: zone ${fqdn(zone)}: ${zones.length} hosted zones have this name (${ids}): give the zone id`);
    }
    return zones[0]!;
  }
  const id = zone.replace(/^\/?hostedzone\//, '');
  const found = await aws(c, `zone ${id}`, () => c.port.getZone(id, c.ctx.signal));
  if (!found) throw new PermanentActionError(`${NAME}: zone ${id}: NoSuchHostedZone: no hosted zone has this id`);
  return found;
}

/** The zone and the fully qualified record name, which must lie inside it. */
async function target(c: Call, args: UpsertArgs): Promise<{ zone: HostedZoneRef; name: string; label: string }> {
  const zone = await resolveZone(c, args.zone);
  const name = fqdn(args.name);
  if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
    throw new PermanentActionError(
      `${NAME}: ${name} is not in zone ${zone.name} (${zone.id}): write the full name, e.g. ${name.replace(/\.$/, '')}.${zone.name}`,
    );
  }
  return { zone, name, label: `${name} ${args.type} in zone ${zone.name} (${zone.id})` };
}

/** The simple (no routing policy) record set of this name and type, or null. */
async function currentRecord(c: Call, zoneId: string, name: string, type: string, label: string): Promise<DnsRecord | null> {
  const sets = await aws(c, label, () => c.port.recordSets(zoneId, name, type, c.ctx.signal));
  const routed = sets.filter((s) => s.set_identifier !== undefined);
  if (routed.length) {
    throw new PermanentActionError(
      `${NAME}: ${label}: has ${routed.length} record set(s) with a routing policy (set identifier ${routed.map((s) => s.set_identifier).join(', ')}): route53.upsert manages simple records only`,
    );
  }
  return sets[0] ?? null;
}

async function waitInsync(c: Call, changeId: string, intervalMs: number, label: string): Promise<void> {
  const started = Date.now();
  for (let check = 1; ; check++) {
    const status = await aws(c, `change ${changeId}`, () => c.port.changeStatus(changeId, c.ctx.signal));
    const elapsed = Date.now() - started;
    if (status === 'INSYNC') {
      c.ctx.log(
        `change ${changeId} is INSYNC${check > 1 ? ` after ${elapsed < 60_000 ? `${Math.round(elapsed / 1000)}s` : formatDuration(elapsed)}` : ''}`,
      );
      c.ctx.record({ change_id: changeId, status, waited_ms: elapsed, checks: check });
      return;
    }
    c.ctx.log(
      `waiting for change ${changeId} (${label}): ${status} (${elapsed < 60_000 ? `${Math.round(elapsed / 1000)}s` : formatDuration(elapsed)})`,
    );
    await c.ctx.sleep(intervalMs);
  }
}

/**
 * The automatic rollback runs outside the step's own timer: bound it by the step's timeout here,
 * for its AWS calls and its INSYNC wait alike.
 */
function bounded(ctx: ActionContext): { ctx: ActionContext; timedOut(): boolean } {
  if (!ctx.timeoutMs) return { ctx, timedOut: () => false };
  const timer = AbortSignal.timeout(ctx.timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timer]);
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const onAbort = (): void => {
        clearTimeout(handle);
        reject(signal.reason as Error);
      };
      const handle = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  return { ctx: { ...ctx, signal, sleep }, timedOut: () => timer.aborted && !ctx.signal.aborted };
}

export function upsertAction(portFor: Route53PortFactory = realRoute53Port) {
  return defineAction({
    name: NAME,
    summary: 'Create or update a Route 53 record set (rolled back automatically to what it replaced)',
    args: upsertArgs,
    outputs: ['change_id', 'previous'],
    async run(args, ctx) {
      const c: Call = { ctx, port: await portFor(ctx) };
      const { zone, name, label } = await target(c, args);
      const desired = desiredRecord(args, name);
      const previous = await currentRecord(c, zone.id, name, args.type, label);
      if (previous && sameRecord(previous, desired))
        ctx.log(`${name} ${args.type} already is ${describeRecord(desired)}: upserting it again`);
      else if (previous) ctx.log(`${name} ${args.type}: ${describeRecord(previous)} → ${describeRecord(desired)}`);
      else ctx.log(`${name} ${args.type}: creating ${describeRecord(desired)}`);
      const change = await aws(c, label, () => c.port.change(zone.id, 'UPSERT', desired, `drctl: ${ctx.stepId}`, ctx.signal));
      ctx.record({ zone_id: zone.id, zone_name: zone.name, name, record_type: args.type, change_id: change.id, record: desired, previous });
      if (args.wait && change.status !== 'INSYNC') await waitInsync(c, change.id, args.poll_interval ?? DEFAULT_POLL_MS, label);
      return { change_id: change.id, previous };
    },
    async rollback(args, outputs, outer) {
      const limit = bounded(outer);
      const ctx = limit.ctx;
      const c: Call = { ctx, port: await portFor(ctx) };
      try {
        const previous = previousFrom(outputs.previous);
        const { zone, name, label } = await target(c, args);
        let change: { id: string; status: string };
        if (previous) {
          ctx.log(`restoring ${name} ${previous.type} to ${describeRecord(previous)}`);
          change = await aws(c, label, () => c.port.change(zone.id, 'UPSERT', previous, `drctl rollback: ${ctx.stepId}`, ctx.signal));
          ctx.record({ undo: 'restore', zone_id: zone.id, name, record_type: previous.type, change_id: change.id, record: previous });
        } else {
          // The step created the record: delete it, but only while it still holds what drctl put there.
          const desired = desiredRecord(args, name);
          const current = await currentRecord(c, zone.id, name, args.type, label);
          if (!current) {
            ctx.log(`${name} ${args.type} is already gone: nothing to delete`);
            ctx.record({ undo: 'delete', zone_id: zone.id, name, record_type: args.type, deleted: false, reason: 'already gone' });
            return;
          }
          if (!sameRecord(current, desired)) {
            throw new ActionError(`${NAME}: ${label}: changed since drctl created it (now ${describeRecord(current)}): not deleting it`);
          }
          ctx.log(`deleting ${name} ${args.type} (${describeRecord(current)}), which this step created`);
          change = await aws(c, label, () => c.port.change(zone.id, 'DELETE', current, `drctl rollback: ${ctx.stepId}`, ctx.signal));
          ctx.record({
            undo: 'delete',
            zone_id: zone.id,
            name,
            record_type: args.type,
            change_id: change.id,
            deleted: true,
            record: current,
          });
        }
        if (args.wait && change.status !== 'INSYNC') await waitInsync(c, change.id, args.poll_interval ?? DEFAULT_POLL_MS, label);
      } catch (error) {
        if (limit.timedOut())
          throw new ActionError(`${NAME}: rollback of ${args.name} ${args.type}: timed out after ${formatDuration(outer.timeoutMs ?? 0)}`);
        throw error;
      }
    },
  });
}

export const route53Upsert = upsertAction();
