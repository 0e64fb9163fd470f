import type { DBInstance, DBSnapshot, RDSClient } from '@aws-sdk/client-rds';
import type * as RdsSdk from '@aws-sdk/client-rds';
import type { AwsSettings } from '../ports/aws.js';
import type { RdsInstance, RdsPort, RdsRestoreOptions, RdsSnapshot } from '../ports/rds.js';
import { rdsClient } from './aws.js';

function toRdsInstance(db: DBInstance | undefined, fallbackId: string): RdsInstance {
  return {
    id: db?.DBInstanceIdentifier ?? fallbackId,
    status: db?.DBInstanceStatus ?? 'unknown',
    arn: db?.DBInstanceArn,
    endpoint: db?.Endpoint?.Address,
    port: db?.Endpoint?.Port,
    replicaSource: db?.ReadReplicaSourceDBInstanceIdentifier || undefined,
    latestRestorableTime: db?.LatestRestorableTime,
  };
}

function toRdsSnapshot(snapshot: DBSnapshot | undefined, fallbackId: string): RdsSnapshot {
  return {
    id: snapshot?.DBSnapshotIdentifier ?? fallbackId,
    instance: snapshot?.DBInstanceIdentifier,
    status: snapshot?.Status ?? 'unknown',
    type: snapshot?.SnapshotType,
    createdAt: snapshot?.OriginalSnapshotCreateTime ?? snapshot?.SnapshotCreateTime,
    progress: snapshot?.PercentProgress,
    arn: snapshot?.DBSnapshotArn,
  };
}

function isNotFound(error: unknown, code: string): boolean {
  const e = error as { name?: string; Code?: string };
  return e.Code === code || e.name === code || e.name === `${code}Fault`;
}

/** The real port: the AWS SDK, loaded when the first call is made. */
export function createRdsPort(settings: AwsSettings): RdsPort {
  type Sdk = typeof RdsSdk;
  let loaded: Promise<[RDSClient, Sdk]> | undefined;
  const load = (): Promise<[RDSClient, Sdk]> => (loaded ??= Promise.all([rdsClient(settings), import('@aws-sdk/client-rds')]));
  const restoreFields = (
    o: RdsRestoreOptions,
  ): { DBInstanceClass?: string; DBSubnetGroupName?: string; VpcSecurityGroupIds?: string[] } => ({
    ...(o.instanceClass ? { DBInstanceClass: o.instanceClass } : {}),
    ...(o.subnetGroup ? { DBSubnetGroupName: o.subnetGroup } : {}),
    ...(o.securityGroups?.length ? { VpcSecurityGroupIds: o.securityGroups } : {}),
  });
  return {
    async describeInstance(id, signal) {
      try {
        const [client, m] = await load();
        const out = await client.send(new m.DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), { abortSignal: signal });
        const db = out.DBInstances?.[0];
        return db ? toRdsInstance(db, id) : undefined;
      } catch (error) {
        if (isNotFound(error, 'DBInstanceNotFound')) return undefined;
        throw error;
      }
    },
    async restoreToPointInTime(source, time, options, signal) {
      const [client, m] = await load();
      const out = await client.send(
        new m.RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: source,
          TargetDBInstanceIdentifier: options.target,
          ...(time ? { RestoreTime: time } : { UseLatestRestorableTime: true }),
          ...restoreFields(options),
        }),
        { abortSignal: signal },
      );
      return toRdsInstance(out.DBInstance, options.target);
    },
    async restoreFromSnapshot(snapshot, options, signal) {
      const [client, m] = await load();
      const out = await client.send(
        new m.RestoreDBInstanceFromDBSnapshotCommand({
          DBSnapshotIdentifier: snapshot,
          DBInstanceIdentifier: options.target,
          ...restoreFields(options),
        }),
        {
          abortSignal: signal,
        },
      );
      return toRdsInstance(out.DBInstance, options.target);
    },
    async promoteReadReplica(id, signal) {
      const [client, m] = await load();
      const out = await client.send(new m.PromoteReadReplicaCommand({ DBInstanceIdentifier: id }), { abortSignal: signal });
      return toRdsInstance(out.DBInstance, id);
    },
    async createSnapshot(instance, snapshotId, signal) {
      const [client, m] = await load();
      const out = await client.send(new m.CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: snapshotId }), {
        abortSignal: signal,
      });
      return toRdsSnapshot(out.DBSnapshot, snapshotId);
    },
    async describeSnapshot(id, signal) {
      try {
        const [client, m] = await load();
        const out = await client.send(new m.DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }), { abortSignal: signal });
        const snapshot = out.DBSnapshots?.[0];
        return snapshot ? toRdsSnapshot(snapshot, id) : undefined;
      } catch (error) {
        if (isNotFound(error, 'DBSnapshotNotFound')) return undefined;
        throw error;
      }
    },
    async listSnapshots(instance, signal) {
      const found: RdsSnapshot[] = [];
      let marker: string | undefined;
      do {
        const [client, m] = await load();
        const out = await client.send(
          new m.DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instance, ...(marker ? { Marker: marker } : {}) }),
          { abortSignal: signal },
        );
        for (const snapshot of out.DBSnapshots ?? []) found.push(toRdsSnapshot(snapshot, ''));
        marker = out.Marker || undefined;
      } while (marker);
      return found;
    },
  };
}
