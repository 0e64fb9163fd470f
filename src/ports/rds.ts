/**
 * The narrow slice of RDS the rds.* actions use. The real implementation wraps the AWS SDK;
 * unit tests put a fake behind it. Methods throw the SDK's own errors (the actions turn them into
 * one line with awsFailure), except "not found", which the describe methods answer with undefined.
 */
export interface RdsInstance {
  id: string;
  status: string;
  arn?: string | undefined;
  /** Endpoint.Address: the host name (absent until the instance has one). */
  endpoint?: string | undefined;
  port?: number | undefined;
  /** ReadReplicaSourceDBInstanceIdentifier: set while the instance is a read replica. */
  replicaSource?: string | undefined;
  latestRestorableTime?: Date | undefined;
}

export interface RdsSnapshot {
  id: string;
  instance?: string | undefined;
  status: string;
  /** automated, manual, awsbackup, shared... */
  type?: string | undefined;
  /** When the data was captured: OriginalSnapshotCreateTime for a copy, else SnapshotCreateTime. */
  createdAt?: Date | undefined;
  progress?: number | undefined;
  arn?: string | undefined;
}

export interface RdsRestoreOptions {
  target: string;
  instanceClass?: string | undefined;
  subnetGroup?: string | undefined;
  securityGroups?: string[] | undefined;
}

export interface RdsPort {
  describeInstance(id: string, signal: AbortSignal): Promise<RdsInstance | undefined>;
  /** `time` undefined: the latest restorable time (UseLatestRestorableTime). */
  restoreToPointInTime(source: string, time: Date | undefined, options: RdsRestoreOptions, signal: AbortSignal): Promise<RdsInstance>;
  restoreFromSnapshot(snapshot: string, options: RdsRestoreOptions, signal: AbortSignal): Promise<RdsInstance>;
  promoteReadReplica(id: string, signal: AbortSignal): Promise<RdsInstance>;
  createSnapshot(instance: string, snapshotId: string, signal: AbortSignal): Promise<RdsSnapshot>;
  describeSnapshot(id: string, signal: AbortSignal): Promise<RdsSnapshot | undefined>;
  /** Automated and manual snapshots of an instance (every page). */
  listSnapshots(instance: string, signal: AbortSignal): Promise<RdsSnapshot[]>;
}
