// The part of pg-copy-streams (no types of its own) that the PostgreSQL port uses.
declare module 'pg-copy-streams' {
  import type { Readable } from 'node:stream';
  import type { Submittable } from 'pg';

  /** `COPY … TO STDOUT` as a query to hand to a pg Client: the copy's text, streamed. */
  export function to(sql: string): Readable & Submittable;
}
