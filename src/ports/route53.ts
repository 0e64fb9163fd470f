/**
 * The narrow slice of Route 53 that route53.upsert uses. The real implementation wraps the AWS SDK;
 * unit tests put a fake behind it. Methods throw the SDK's own errors, except "not found" answers.
 */

/** A record set as drctl shows it (the `previous` output): plain JSON, in the shape of `with:`. */
export interface DnsRecord {
  name: string;
  type: string;
  ttl?: number | undefined;
  values?: string[] | undefined;
  alias?: { dns_name: string; zone_id: string; evaluate_health: boolean } | undefined;
  health_check_id?: string | undefined;
  /** Set on weighted, latency, failover... records, which route53.upsert does not manage. */
  set_identifier?: string | undefined;
}

export interface HostedZoneRef {
  id: string;
  name: string;
  private?: boolean | undefined;
}

export interface Route53Port {
  /** Hosted zones whose name is exactly `name` (ListHostedZonesByName). */
  zonesNamed(name: string, signal: AbortSignal): Promise<HostedZoneRef[]>;
  getZone(id: string, signal: AbortSignal): Promise<HostedZoneRef | undefined>;
  /** The record sets of exactly this name and type (every set identifier). */
  recordSets(zoneId: string, name: string, type: string, signal: AbortSignal): Promise<DnsRecord[]>;
  change(
    zoneId: string,
    action: 'UPSERT' | 'DELETE',
    record: DnsRecord,
    comment: string,
    signal: AbortSignal,
  ): Promise<{ id: string; status: string }>;
  /** PENDING or INSYNC. */
  changeStatus(id: string, signal: AbortSignal): Promise<string>;
}
