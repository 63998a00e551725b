/**
 * Connection settings for a Temporal cluster, read from the environment (same variable names
 * as the Temporal CLI where one exists). `connectClient()` lives in ./client.
 *
 * | variable                   | meaning                                                   |
 * |----------------------------|-----------------------------------------------------------|
 * | TEMPORAL_ADDRESS           | host:port of the frontend; unset = embedded dev server      |
 * | TEMPORAL_NAMESPACE         | namespace (default "default")                               |
 * | TEMPORAL_API_KEY           | API key (Temporal Cloud); implies TLS                       |
 * | TEMPORAL_TLS               | "true" to use TLS with the system roots and no client cert  |
 * | TEMPORAL_TLS_CERT / _KEY   | paths to the mTLS client certificate and private key (PEM)  |
 * | TEMPORAL_TLS_CERT_DATA / TEMPORAL_TLS_KEY_DATA | the same, inline PEM                |
 * | TEMPORAL_TLS_CA            | path to a CA certificate for the server (PEM), optional     |
 * | TEMPORAL_TLS_SERVER_NAME   | TLS server name override (SNI), optional                    |
 *
 * Secrets (API key, private key) are never included in {@link describeTarget} output or errors.
 */
import * as fs from 'node:fs';
import { Connection, type ConnectionOptions, type TLSConfig } from '@temporalio/client';

/** Where and how to connect. Compatible with both `Connection.connect` and the worker's `NativeConnection.connect`. */
export interface TemporalTarget {
  /** host:port of the Temporal frontend. */
  address: string;
  namespace: string;
  /** TLS settings; undefined = plaintext. */
  tls?: TLSConfig | true;
  /** API key (sent as a bearer token). Never logged. */
  apiKey?: string;
  /** Web UI URL when known (embedded server: http://127.0.0.1:8233). */
  uiUrl?: string;
}

type Env = Record<string, string | undefined>;

function readPem(env: Env, pathVar: string, dataVar: string): Buffer | undefined {
  const data = env[dataVar];
  if (data) return Buffer.from(data);
  const file = env[pathVar];
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${pathVar}=${file} cannot be read: ${(err as Error).message}`);
  }
}

/** TLS config from the environment, or undefined for plaintext. */
export function tlsFromEnv(env: Env = process.env): TLSConfig | true | undefined {
  const crt = readPem(env, 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CERT_DATA');
  const key = readPem(env, 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_KEY_DATA');
  const ca = readPem(env, 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CA_DATA');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME;
  if (!!crt !== !!key)
    throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS client certificate pair)');
  const wantTls = /^(1|true|yes)$/i.test(env.TEMPORAL_TLS ?? '') || !!env.TEMPORAL_API_KEY;
  if (!crt && !ca && !serverName) return wantTls ? true : undefined;
  const tls: TLSConfig = {};
  if (crt && key) tls.clientCertPair = { crt, key };
  if (ca) tls.serverRootCACertificate = ca;
  if (serverName) tls.serverNameOverride = serverName;
  return tls;
}

/**
 * The cluster named by TEMPORAL_ADDRESS (with namespace, TLS and API key from the environment),
 * or null when TEMPORAL_ADDRESS is unset (the caller then uses the embedded dev server).
 */
export function targetFromEnv(env: Env = process.env): TemporalTarget | null {
  const address = env.TEMPORAL_ADDRESS?.trim();
  if (!address) return null;
  return {
    address,
    namespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
    tls: tlsFromEnv(env),
    apiKey: env.TEMPORAL_API_KEY || undefined,
  };
}

/** Options for `Connection.connect` (client) and `NativeConnection.connect` (worker). */
export function connectionOptions(target: TemporalTarget): Pick<ConnectionOptions, 'address' | 'tls' | 'apiKey'> {
  const opts: Pick<ConnectionOptions, 'address' | 'tls' | 'apiKey'> = { address: target.address };
  if (target.tls) opts.tls = target.tls;
  if (target.apiKey) opts.apiKey = target.apiKey;
  return opts;
}

/** Human-readable, secret-free description: "127.0.0.1:7233 namespace=default (TLS, API key)". */
export function describeTarget(target: TemporalTarget): string {
  const extras: string[] = [];
  if (target.tls) extras.push(typeof target.tls === 'object' && target.tls.clientCertPair ? 'mTLS' : 'TLS');
  if (target.apiKey) extras.push('API key');
  return `${target.address} namespace=${target.namespace}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** Open a client Connection to `target` (fails fast with a readable error). */
export async function connectTo(target: TemporalTarget, connectTimeoutMs = 10000): Promise<Connection> {
  try {
    return await Connection.connect({ ...connectionOptions(target), connectTimeout: connectTimeoutMs });
  } catch (err) {
    throw new Error(`cannot connect to Temporal at ${describeTarget(target)}: ${(err as Error).message}`);
  }
}
