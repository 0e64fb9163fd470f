/** AWS settings from the command line and the standard environment. */
export interface AwsSettings {
  region?: string | undefined;
  profile?: string | undefined;
  /** AWS_ENDPOINT_URL: an S3-compatible or emulated endpoint (S3 then uses path-style addressing). */
  endpoint?: string | undefined;
}
