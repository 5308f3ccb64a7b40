/**
 * Who may talk to a worker, as read from the command line or the library options: a shared
 * token and optional TLS material (the gRPC side that enforces them: grpc_security.ts).
 * Free of gRPC, so that embedded sessions load no gRPC code.
 */
import { readFileSync } from 'node:fs';
import { SpillwayError } from '../common/errors.js';

export interface TlsMaterial {
  /** PEM certificate chain of this process (required to serve TLS). */
  readonly cert: Buffer | null;
  readonly key: Buffer | null;
  /** PEM CA that peers' certificates must be signed by. */
  readonly ca: Buffer | null;
}

export interface GrpcSecurity {
  /** Shared secret every call carries and every server demands; null = none. */
  readonly token: string | null;
  readonly tls: TlsMaterial | null;
}

export const NO_SECURITY: GrpcSecurity = Object.freeze({ token: null, tls: null });

export interface SecurityFiles {
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

function readSecret(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new SpillwayError('config', `cannot read the ${what} file "${path}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Read the token and TLS files named on the command line or in the library options. */
export function loadSecurity(files: SecurityFiles): GrpcSecurity {
  let token: string | null = null;
  if (files.tokenFile !== undefined) {
    token = readSecret(files.tokenFile, 'token').toString('utf8').trim();
    if (token.length < 16) throw new SpillwayError('config', `the token in "${files.tokenFile}" is shorter than 16 characters`);
    if (!/^[\x21-\x7e]+$/.test(token)) throw new SpillwayError('config', `the token in "${files.tokenFile}" must be printable ASCII without spaces`);
  }
  let tls: TlsMaterial | null = null;
  if (files.tlsCert !== undefined || files.tlsKey !== undefined || files.tlsCa !== undefined) {
    if ((files.tlsCert === undefined) !== (files.tlsKey === undefined)) {
      throw new SpillwayError('config', '--tls-cert and --tls-key go together');
    }
    tls = {
      cert: files.tlsCert === undefined ? null : readSecret(files.tlsCert, 'TLS certificate'),
      key: files.tlsKey === undefined ? null : readSecret(files.tlsKey, 'TLS key'),
      ca: files.tlsCa === undefined ? null : readSecret(files.tlsCa, 'TLS CA'),
    };
  }
  return { token, tls };
}
