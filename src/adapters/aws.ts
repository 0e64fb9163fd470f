import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsSettings } from '../ports/aws.js';

/**
 * AWS SDK v3 clients from the standard chain (credentials, AWS_PROFILE, AWS_REGION) plus
 * drctl's --profile/--region. With AWS_ENDPOINT_URL (an emulator or an S3-compatible store)
 * S3 uses path-style addressing. The SDKs load only when an action needs them.
 */
function common(settings: AwsSettings): Record<string, unknown> {
  // The SDK's multi-line notice about future Node versions is noise in the middle of a recovery.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    // drctl has its own timeouts and retries per step; keep the SDK's short.
    maxAttempts: 3,
  };
}

export async function s3Client(settings: AwsSettings): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  // A bucket in another region than AWS_REGION is followed, not failed.
  return new S3Client({ ...common(settings), followRegionRedirects: true, ...(settings.endpoint ? { forcePathStyle: true } : {}) });
}

export async function rdsClient(settings: AwsSettings): Promise<RDSClient> {
  const { RDSClient } = await import('@aws-sdk/client-rds');
  return new RDSClient(common(settings));
}

export async function route53Client(settings: AwsSettings): Promise<Route53Client> {
  const { Route53Client } = await import('@aws-sdk/client-route-53');
  // Route 53 is global: its API lives in us-east-1 whatever the default region.
  return new Route53Client({ ...common(settings), region: settings.region ?? 'us-east-1' });
}

/**
 * One line for an AWS failure: the action, the resource and the AWS error code, e.g.
 * `backup.latest: s3://backups/postgres/: NoSuchBucket: The specified bucket does not exist`.
 */
export function awsFailure(action: string, resource: string, error: unknown): string {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? e.name ?? 'Error';
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
    return `${action}: ${resource}: no AWS credentials (set AWS_PROFILE or --profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`;
  }
  const message = (e.message ?? '').split('\n')[0]!.trim();
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${action}: ${resource}: ${code}${message && message !== code ? `: ${message}` : ''}${status}`;
}

/** AWS error codes that the same call meets again however often it is tried. */
const PERMANENT_AWS_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AllAccessDisabled',
  'AuthorizationError',
  'UnauthorizedOperation',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'NoSuchBucket',
  'NoSuchKey',
  'NotFound',
  'InvalidBucketName',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameterValueException',
  'MissingParameter',
  'ValidationError',
  'ValidationException',
  'InvalidInput',
  'InvalidChangeBatch',
  'NoSuchHostedZone',
  'HostedZoneNotFound',
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBSnapshotNotFound',
  'DBSnapshotNotFoundFault',
  'DBInstanceAlreadyExists',
  'DBInstanceAlreadyExistsFault',
  'DBSnapshotAlreadyExists',
  'DBSnapshotAlreadyExistsFault',
]);

/**
 * Whether an AWS failure cannot change by trying again: access denied, a missing bucket, key,
 * zone or instance, an invalid argument (by the error's code, or HTTP 401, 403 or 404).
 * Throttling, timeouts and server errors are not: a retry may get through.
 */
export function isPermanentAwsError(error: unknown): boolean {
  const e = (error ?? {}) as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? e.name ?? '';
  if (PERMANENT_AWS_CODES.has(code) || /Could not load credentials/i.test(e.message ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  return status === 401 || status === 403 || status === 404;
}
