import type { HostedZone, ResourceRecordSet, Route53Client, RRType } from '@aws-sdk/client-route-53';
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import type { AwsSettings } from '../ports/aws.js';
import type { DnsRecord, HostedZoneRef, Route53Port } from '../ports/route53.js';
import { route53Client } from './aws.js';

/** A name as Route 53 keeps it: lower case, fully qualified, with its \052-style escapes decoded. */
export function fqdn(name: string): string {
  const decoded = name.trim().replace(/\\(\d{3})/g, (_, code: string) => String.fromCharCode(parseInt(code, 8)));
  const lower = decoded.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function bareId(id: string, prefix: 'hostedzone' | 'change'): string {
  return id.replace(new RegExp(`^/?${prefix}/`), '');
}

function fromRecordSet(set: ResourceRecordSet): DnsRecord {
  return {
    name: fqdn(set.Name ?? ''),
    type: set.Type ?? '',
    ...(set.TTL !== undefined ? { ttl: set.TTL } : {}),
    ...(set.ResourceRecords ? { values: set.ResourceRecords.map((r) => r.Value ?? '') } : {}),
    ...(set.AliasTarget
      ? {
          alias: {
            dns_name: set.AliasTarget.DNSName ?? '',
            zone_id: set.AliasTarget.HostedZoneId ?? '',
            evaluate_health: set.AliasTarget.EvaluateTargetHealth ?? false,
          },
        }
      : {}),
    ...(set.HealthCheckId ? { health_check_id: set.HealthCheckId } : {}),
    ...(set.SetIdentifier ? { set_identifier: set.SetIdentifier } : {}),
  };
}

function toRecordSet(record: DnsRecord): ResourceRecordSet {
  return {
    Name: record.name,
    Type: record.type as ResourceRecordSet['Type'],
    ...(record.alias
      ? {
          AliasTarget: {
            DNSName: record.alias.dns_name,
            HostedZoneId: record.alias.zone_id,
            EvaluateTargetHealth: record.alias.evaluate_health,
          },
        }
      : { TTL: record.ttl, ResourceRecords: (record.values ?? []).map((Value) => ({ Value })) }),
    ...(record.health_check_id ? { HealthCheckId: record.health_check_id } : {}),
    ...(record.set_identifier ? { SetIdentifier: record.set_identifier } : {}),
  };
}

function isCode(error: unknown, code: string): boolean {
  const e = error as { name?: string; Code?: string };
  return e.name === code || e.Code === code;
}

/** The real port: the AWS SDK, loaded when the first call is made. */
export function createRoute53Port(settings: AwsSettings): Route53Port {
  type Sdk = typeof Route53Sdk;
  let loaded: Promise<[Route53Client, Sdk]> | undefined;
  const load = (): Promise<[Route53Client, Sdk]> => (loaded ??= Promise.all([route53Client(settings), import('@aws-sdk/client-route-53')]));
  const zoneRef = (z: HostedZone): HostedZoneRef => ({
    id: bareId(z.Id ?? '', 'hostedzone'),
    name: fqdn(z.Name ?? ''),
    private: z.Config?.PrivateZone,
  });
  return {
    async zonesNamed(name, signal) {
      const wanted = fqdn(name);
      const found: HostedZoneRef[] = [];
      let next: { DNSName: string; HostedZoneId?: string } | undefined = { DNSName: wanted };
      while (next) {
        const page: { DNSName: string; HostedZoneId?: string } = next;
        const [client, m] = await load();
        const out = await client.send(new m.ListHostedZonesByNameCommand({ ...page, MaxItems: 100 }), { abortSignal: signal });
        const zones = (out.HostedZones ?? []).map(zoneRef);
        // Sorted by name from `wanted` on: the exact matches come first, then other names.
        found.push(...zones.filter((z) => z.name === wanted));
        const passed = zones.some((z) => z.name !== wanted);
        next =
          out.IsTruncated && !passed && out.NextDNSName
            ? { DNSName: out.NextDNSName, ...(out.NextHostedZoneId ? { HostedZoneId: out.NextHostedZoneId } : {}) }
            : undefined;
      }
      return found;
    },
    async getZone(id, signal) {
      try {
        const [client, m] = await load();
        const out = await client.send(new m.GetHostedZoneCommand({ Id: id }), { abortSignal: signal });
        return out.HostedZone ? zoneRef(out.HostedZone) : undefined;
      } catch (error) {
        if (isCode(error, 'NoSuchHostedZone')) return undefined;
        throw error;
      }
    },
    async recordSets(zoneId, name, type, signal) {
      const wanted = fqdn(name);
      const found: DnsRecord[] = [];
      type Start = { StartRecordName: string; StartRecordType: RRType; StartRecordIdentifier?: string };
      let start: Start | undefined = { StartRecordName: wanted, StartRecordType: type as RRType };
      while (start) {
        const from: Start = start;
        const [client, m] = await load();
        const out = await client.send(new m.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...from, MaxItems: 100 }), {
          abortSignal: signal,
        });
        const sets = (out.ResourceRecordSets ?? []).map(fromRecordSet);
        found.push(...sets.filter((r) => r.name === wanted && r.type === type));
        const passed = sets.some((r) => r.name !== wanted || r.type !== type);
        start =
          out.IsTruncated && !passed && out.NextRecordName && out.NextRecordType
            ? {
                StartRecordName: out.NextRecordName,
                StartRecordType: out.NextRecordType,
                ...(out.NextRecordIdentifier ? { StartRecordIdentifier: out.NextRecordIdentifier } : {}),
              }
            : undefined;
      }
      return found;
    },
    async change(zoneId, action, record, comment, signal) {
      const [client, m] = await load();
      const out = await client.send(
        new m.ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Comment: comment, Changes: [{ Action: action, ResourceRecordSet: toRecordSet(record) }] },
        }),
        { abortSignal: signal },
      );
      return { id: bareId(out.ChangeInfo?.Id ?? '', 'change'), status: out.ChangeInfo?.Status ?? 'PENDING' };
    },
    async changeStatus(id, signal) {
      const [client, m] = await load();
      const out = await client.send(new m.GetChangeCommand({ Id: id }), { abortSignal: signal });
      return out.ChangeInfo?.Status ?? 'PENDING';
    },
  };
}
