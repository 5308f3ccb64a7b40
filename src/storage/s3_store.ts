/**
 * The S3 ObjectStore (any S3-compatible server too), over @aws-sdk/client-s3.
 *
 *   stat    HeadObject; a miss is a "directory" when some key starts with "key/"
 *   read    ranged GET (bytes=start-end-1); an open object pins its ETag (If-Match), so a
 *           file replaced during a scan fails instead of mixing two versions
 *   list    ListObjects by "prefix/", paginated by marker (version 1 of the call: every
 *           S3-compatible server pages it, while some fail on V2 continuation tokens)
 *   upload  PutObject, or a multipart upload for large files (aborted on failure): the
 *           object appears only once complete
 *
 * Settings use DuckDB's names (s3_region, s3_endpoint, s3_url_style, s3_use_ssl,
 * s3_access_key_id, s3_secret_access_key, s3_session_token); without static keys the SDK's
 * standard credential chain applies (environment, profiles, SSO, instance roles …).
 * Transient failures (connection refused/reset, timeouts, 5xx, throttling, a body cut off)
 * are retried with exponential backoff; every failure becomes one SpillwayError('io') line
 * naming the object. The SDK is loaded on first use (it takes most of a second).
 */
import { open as openFile } from 'node:fs/promises';
import type * as S3 from '@aws-sdk/client-s3';
import { SpillwayError } from '../common/errors.js';
import type { Config } from '../common/config.js';
import type { ObjectInfo, ObjectStore, ReadableObject } from './object_store.js';

export type S3Settings = Pick<Config,
  's3_region' | 's3_endpoint' | 's3_url_style' | 's3_access_key_id' | 's3_secret_access_key' | 's3_session_token' | 's3_use_ssl' | 'network_timeout_ms'>;

export const S3_SETTING_KEYS: readonly (keyof S3Settings)[] = [
  's3_region', 's3_endpoint', 's3_url_style', 's3_access_key_id', 's3_secret_access_key', 's3_session_token', 's3_use_ssl', 'network_timeout_ms',
];

export interface S3StoreOptions {
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  /** First retry delay; doubled at each further attempt (with jitter). */
  backoffMs?: number;
  /** Files up to this size are uploaded in one PutObject. */
  multipartThreshold?: number;
  /** Part size of multipart uploads (S3 wants at least 5 MiB for all parts but the last). */
  partSize?: number;
}

export function isS3Path(path: string): boolean {
  return /^s3:\/\//i.test(path);
}

/** "s3://bucket/a/b" → { bucket, key: "a/b" }. */
export function parseS3Path(path: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/i.exec(path);
  if (!m || m[1] === undefined) throw new SpillwayError('config', `invalid S3 location "${path}": expected s3://bucket/key`);
  return { bucket: m[1], key: m[2] ?? '' };
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'Throttling', 'ThrottlingException', 'InternalError', 'ServiceUnavailable', 'ShortRead']);
const CREDENTIAL_NAMES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed']);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(e: unknown): number | undefined {
  return (e as SdkError | null)?.$metadata?.httpStatusCode;
}

function isNetworkError(e: unknown): boolean {
  const err = e as SdkError | null;
  return (err?.code !== undefined && TRANSIENT_CODES.has(err.code)) || /socket hang up|aborted|premature close|other side closed/i.test(err?.message ?? '');
}

function isTransient(e: unknown): boolean {
  if (e instanceof SpillwayError) return false;
  const status = statusOf(e);
  const name = (e as SdkError | null)?.name ?? '';
  return isNetworkError(e) || TRANSIENT_NAMES.has(name) || status === 429 || (status !== undefined && status >= 500);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Sdk = typeof S3;
let sdkPromise: Promise<Sdk> | null = null;
function loadSdk(): Promise<Sdk> {
  sdkPromise ??= import('@aws-sdk/client-s3');
  return sdkPromise;
}

export class S3Store implements ObjectStore {
  private client: Promise<S3.S3Client> | null = null;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly multipartThreshold: number;
  private readonly partSize: number;

  constructor(readonly settings: S3Settings, opts: S3StoreOptions = {}) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
    this.backoffMs = opts.backoffMs ?? 100;
    this.multipartThreshold = opts.multipartThreshold ?? 16 * 1024 * 1024;
    this.partSize = Math.max(5 * 1024 * 1024, opts.partSize ?? 8 * 1024 * 1024);
  }

  /** The endpoint as a URL, or undefined for AWS itself. */
  get endpoint(): string | undefined {
    const e = this.settings.s3_endpoint.trim();
    if (e === '') return undefined;
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(e) ? e : `${this.settings.s3_use_ssl ? 'https' : 'http'}://${e}`;
  }

  private sdkClient(): Promise<S3.S3Client> {
    this.client ??= loadSdk().then((sdk) => {
      const s = this.settings;
      const region = s.s3_region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
      const credentials = s.s3_access_key_id !== '' || s.s3_secret_access_key !== ''
        ? { accessKeyId: s.s3_access_key_id, secretAccessKey: s.s3_secret_access_key, ...(s.s3_session_token !== '' ? { sessionToken: s.s3_session_token } : {}) }
        : undefined;
      return new sdk.S3Client({
        region,
        ...(this.endpoint !== undefined ? { endpoint: this.endpoint } : {}),
        forcePathStyle: s.s3_url_style === 'path',
        ...(credentials ? { credentials } : {}),
        maxAttempts: 1, // retries are ours: they also cover a body cut off mid-read
        requestHandler: { connectionTimeout: Math.min(10_000, s.network_timeout_ms), requestTimeout: s.network_timeout_ms },
      });
    });
    return this.client;
  }

  /** Run `fn` with retries on transient failures; any failure left becomes one clear line. */
  private async call<T>(path: string, fn: (client: S3.S3Client, sdk: Sdk) => Promise<T>): Promise<T> {
    const [client, sdk] = await Promise.all([this.sdkClient(), loadSdk()]);
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(client, sdk);
      } catch (e) {
        if (attempt >= this.maxAttempts || !isTransient(e)) throw this.describe(path, e, attempt);
        const delay = this.backoffMs * 2 ** (attempt - 1);
        await sleep(delay * (0.5 + Math.random() / 2));
      }
    }
  }

  private describe(path: string, e: unknown, attempts: number): SpillwayError {
    if (e instanceof SpillwayError) return e;
    const err = (e ?? {}) as SdkError;
    const status = statusOf(e);
    const name = err.name === 'Unknown' || err.name === String(status) ? '' : err.name ?? '';
    const { bucket } = parseS3Path(path);
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    let reason: string;
    if (name === 'NoSuchBucket') reason = `bucket "${bucket}" does not exist`;
    else if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) reason = 'no such object';
    else if (name === 'CredentialsProviderError') {
      reason = 'no AWS credentials found (set s3_access_key_id and s3_secret_access_key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS profile)';
    } else if (CREDENTIAL_NAMES.has(name) || status === 403) {
      reason = `access denied (${name || `HTTP ${status}`}): check s3_access_key_id and s3_secret_access_key or the AWS credentials`;
    } else if (isNetworkError(e) || name === 'TimeoutError') {
      reason = `cannot reach the S3 endpoint ${this.endpoint ?? `(AWS, region ${this.settings.s3_region || 'default'})`}: ${firstLine(err.message ?? name)}${tries}`;
    } else if (name === 'PreconditionFailed' || status === 412) reason = 'the object changed while it was being read';
    else reason = `${name || 'error'}${status !== undefined ? ` (HTTP ${status})` : ''}: ${firstLine(err.message ?? '')}${tries}`;
    return new SpillwayError('io', `S3 "${path}": ${reason}`, { cause: e });
  }

  /** A 404 on a key: say whether it is the bucket that is missing. */
  private async missing(path: string): Promise<SpillwayError> {
    const { bucket } = parseS3Path(path);
    await this.call(path, (c, sdk) => c.send(new sdk.ListObjectsCommand({ Bucket: bucket, MaxKeys: 1 })));
    return new SpillwayError('io', `S3 "${path}": no such object`);
  }

  /**
   * HEAD errors carry no body, so a 403 does not say why: a GET of the same object (no body
   * read) returns the code (InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied …).
   */
  private async explainHeadFailure(path: string, e: unknown): Promise<never> {
    if (statusOf(e instanceof SpillwayError ? e.cause : e) === 403) {
      const { bucket, key } = parseS3Path(path);
      await this.call(path, async (c, sdk) => {
        const res = await c.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=0-0' }));
        await res.Body?.transformToByteArray();
      });
    }
    throw e;
  }

  private head(path: string): Promise<S3.HeadObjectCommandOutput | null> {
    const { bucket, key } = parseS3Path(path);
    return this.call(path, (c, sdk) => c.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key })).catch((e: unknown) => {
      if (statusOf(e) === 404) return null;
      throw e;
    })).catch((e: unknown) => this.explainHeadFailure(path, e));
  }

  async stat(path: string): Promise<ObjectInfo | null> {
    const { bucket, key } = parseS3Path(path);
    if (key !== '' && !key.endsWith('/')) {
      const head = await this.head(path);
      if (head) return { kind: 'file', size: Number(head.ContentLength ?? 0), ...(head.ETag !== undefined ? { version: s3Version(Number(head.ContentLength ?? 0), head.ETag) } : {}) };
    }
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const res = await this.call(path, (c, sdk) => c.send(new sdk.ListObjectsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 })));
    return key === '' || (res.Contents?.length ?? 0) > 0 ? { kind: 'directory', size: 0 } : null;
  }

  async read(path: string, start: number, end: number): Promise<Uint8Array> {
    return new Uint8Array(await this.getRange(path, start, end, undefined));
  }

  async getRange(path: string, start: number, end: number, etag: string | undefined): Promise<ArrayBuffer> {
    if (end <= start) return new ArrayBuffer(0);
    const { bucket, key } = parseS3Path(path);
    return this.call(path, async (c, sdk) => {
      const res = await c.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}`, ...(etag ? { IfMatch: etag } : {}) }));
      if (!res.Body) throw Object.assign(new Error('empty response body'), { name: 'ShortRead' });
      const bytes = await res.Body.transformToByteArray();
      if (bytes.length !== end - start) {
        throw Object.assign(new Error(`got ${bytes.length} of ${end - start} bytes for range [${start}, ${end})`), { name: 'ShortRead' });
      }
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? bytes.buffer as ArrayBuffer
        : bytes.slice().buffer as ArrayBuffer;
    }).catch(async (e: unknown) => {
      if (e instanceof SpillwayError && / no such object$/.test(e.message)) throw await this.missing(path);
      throw e;
    });
  }

  async list(prefix: string): Promise<string[]> {
    const { bucket, key } = parseS3Path(prefix);
    const p = key === '' || key.endsWith('/') ? key : `${key}/`;
    const out: string[] = [];
    let marker: string | undefined;
    do {
      const res = await this.call(prefix, (c, sdk) => c.send(new sdk.ListObjectsCommand({ Bucket: bucket, Prefix: p, ...(marker !== undefined ? { Marker: marker } : {}) })));
      const contents = res.Contents ?? [];
      for (const o of contents) if (o.Key !== undefined && !o.Key.endsWith('/')) out.push(`s3://${bucket}/${o.Key}`);
      marker = res.IsTruncated ? res.NextMarker ?? contents.at(-1)?.Key : undefined;
    } while (marker !== undefined);
    return out.sort();
  }

  async open(path: string): Promise<ReadableObject> {
    const { key } = parseS3Path(path);
    if (key === '' || key.endsWith('/')) throw new SpillwayError('io', `S3 "${path}": it is a prefix (directory), not an object`);
    const head = await this.head(path);
    if (head === null) throw await this.missing(path);
    return new S3Object(this, path, Number(head.ContentLength ?? 0), head.ETag);
  }

  /** Upload a local file as the object at `path`; it becomes visible only when complete. */
  async upload(localFile: string, path: string): Promise<void> {
    const { bucket, key } = parseS3Path(path);
    const fh = await openFile(localFile, 'r');
    try {
      const size = (await fh.stat()).size;
      const readPart = async (start: number, length: number): Promise<Buffer> => {
        const buf = Buffer.alloc(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(buf, done, length - done, start + done);
          if (bytesRead === 0) throw new Error(`${localFile} ended early`);
          done += bytesRead;
        }
        return buf;
      };
      if (size <= this.multipartThreshold) {
        const body = await readPart(0, size);
        await this.call(path, (c, sdk) => c.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size })));
        return;
      }
      const created = await this.call(path, (c, sdk) => c.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key })));
      const uploadId = created.UploadId!;
      try {
        const parts: { ETag: string; PartNumber: number }[] = [];
        for (let start = 0, n = 1; start < size; start += this.partSize, n++) {
          const body = await readPart(start, Math.min(this.partSize, size - start));
          const res = await this.call(path, (c, sdk) => c.send(new sdk.UploadPartCommand({
            Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length,
          })));
          parts.push({ ETag: res.ETag!, PartNumber: n });
        }
        await this.call(path, (c, sdk) => c.send(new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })));
      } catch (e) {
        await this.call(path, (c, sdk) => c.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))).catch(() => undefined);
        throw e;
      }
    } finally {
      await fh.close();
    }
  }

  /** Delete objects (missing ones are fine). */
  async remove(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      const { bucket, key } = parseS3Path(path);
      await this.call(path, (c, sdk) => c.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key })));
    }
  }

  /** Close the SDK client's sockets. */
  destroy(): void {
    void this.client?.then((c) => c.destroy(), () => undefined);
    this.client = null;
  }
}

/** An S3 object's version: its size and ETag. */
function s3Version(size: number, etag: string): string {
  return `${size}:${etag}`;
}

class S3Object implements ReadableObject {
  bytesRead = 0;
  readonly version: string | undefined;
  constructor(private readonly store: S3Store, readonly path: string, readonly byteLength: number, private readonly etag: string | undefined) {
    this.version = etag === undefined ? undefined : s3Version(byteLength, etag);
  }

  async slice(start: number, end: number = this.byteLength): Promise<ArrayBuffer> {
    if (start < 0 || end > this.byteLength || start > end) {
      throw new Error(`byte range [${start}, ${end}) is outside the object (${this.byteLength} bytes)`);
    }
    const bytes = await this.store.getRange(this.path, start, end, this.etag);
    this.bytesRead += bytes.byteLength;
    return bytes;
  }

  async close(): Promise<void> {}
}
