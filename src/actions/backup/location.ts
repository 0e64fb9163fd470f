import { resolve } from 'node:path';

/**
 * Where backups live: `s3://bucket/prefix/` or `file:///dir/`. A store holds objects by key: for S3
 * the object key, for the file system the absolute path. Relative `file://` paths resolve against
 * the working directory of drctl.
 */
export type StoreRef = { scheme: 's3'; bucket: string } | { scheme: 'file' };

/** A folder of backups: every key under `prefix` (for files, the directory's path with a trailing /). */
export interface Location {
  store: StoreRef;
  prefix: string;
  /** Canonical form, for messages and the journal. */
  uri: string;
}

/** One object (one file). */
export interface ObjectRef {
  store: StoreRef;
  key: string;
  uri: string;
}

const LOCATION_HINT = 'expected s3://bucket/prefix/ or file:///dir/';
const OBJECT_HINT = 'expected s3://bucket/key or file:///path';

// Loosely S3's rules: old us-east-1 buckets may have capitals and underscores.
const BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function uriOf(store: StoreRef, key: string): string {
  return store.scheme === 's3' ? `s3://${store.bucket}/${key}` : `file://${key}`;
}

function split(text: string): { store: StoreRef; rest: string } | string {
  // A NUL byte fits no file name (and no key drctl writes): said once here, not by each call that fails on it.
  if (text.includes('\0')) return 'holds a NUL byte';
  if (text.startsWith('s3://')) {
    const body = text.slice('s3://'.length);
    const slash = body.indexOf('/');
    const bucket = slash < 0 ? body : body.slice(0, slash);
    if (!BUCKET_RE.test(bucket)) return bucket ? `"${bucket}" is not an S3 bucket name` : 'no bucket';
    return { store: { scheme: 's3', bucket }, rest: slash < 0 ? '' : body.slice(slash + 1) };
  }
  if (text.startsWith('file://')) {
    const path = text.slice('file://'.length);
    if (!path) return 'the file:// path is empty';
    return { store: { scheme: 'file' }, rest: path };
  }
  return 'not an s3:// or file:// URI';
}

/** A folder of backups; a missing trailing slash is implied (a location is a folder, never a name prefix). */
export function parseLocation(text: string): Location | string {
  const parts = split(text);
  if (typeof parts === 'string') return `${parts}: ${LOCATION_HINT}`;
  if (parts.store.scheme === 's3') {
    const prefix = parts.rest === '' || parts.rest.endsWith('/') ? parts.rest : `${parts.rest}/`;
    if (prefix.startsWith('/')) return `the prefix must not start with "/": ${LOCATION_HINT}`;
    return { store: parts.store, prefix, uri: uriOf(parts.store, prefix) };
  }
  const dir = resolve(parts.rest);
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return { store: parts.store, prefix, uri: uriOf(parts.store, prefix) };
}

/**
 * One object. With `name` (an upload's file name), a URI ending in / is a folder and the object
 * keeps that name.
 */
export function parseObjectUri(text: string, name?: string): ObjectRef | string {
  const parts = split(text);
  if (typeof parts === 'string') return `${parts}: ${OBJECT_HINT}`;
  let rest = parts.rest;
  if (rest === '' || rest.endsWith('/')) {
    if (name === undefined) return `names a folder, not an object: ${OBJECT_HINT}`;
    rest = `${rest}${name}`;
  }
  if (parts.store.scheme === 's3') {
    if (rest.startsWith('/')) return `the key must not start with "/": ${OBJECT_HINT}`;
    return { store: parts.store, key: rest, uri: uriOf(parts.store, rest) };
  }
  const path = resolve(rest);
  return { store: parts.store, key: path, uri: uriOf(parts.store, path) };
}

/** The last part of a key: the object's name. */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/**
 * A glob on an object's name relative to the location: `*` and `?` never cross `/`, `**` does,
 * `[abc]` and `[!abc]` are classes. Anchored at both ends.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else {
      re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/** A zod check: the text must parse, and the issue says why it does not. */
export function parses(
  parse: (text: string) => unknown,
): (text: string, ctx: { addIssue(issue: { code: 'custom'; message: string; input: string }): void }) => void {
  return (text, ctx) => {
    const result = parse(text);
    if (typeof result === 'string') ctx.addIssue({ code: 'custom', message: result, input: text });
  };
}

/** A problem with a glob, or undefined when it compiles. */
export function globProblem(glob: string): string | undefined {
  try {
    globToRegExp(glob);
    return undefined;
  } catch (error) {
    return `not a usable glob: ${(error as Error).message}`;
  }
}
