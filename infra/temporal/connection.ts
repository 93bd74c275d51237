import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection as NativeConnectionT } from '@temporalio/worker';
import { AesGcmPayloadCodec } from './codec.js';
import type { AppConfig } from '../config.js';

/** The one data converter client and worker share: every payload encrypted by the AES-GCM codec. */
export function dataConverter(config: AppConfig, olderKeys: ReadonlyMap<string, Buffer> = new Map()): DataConverter {
  // Previous codec keys stay readable so histories written before a rotation still decode and replay.
  const keys = new Map(olderKeys);
  for (const k of config.secrets.rings.codec.previous) keys.set(k.id, k.key);
  keys.set(config.secrets.codecKeyId, config.secrets.codecKey);
  return { payloadCodecs: [new AesGcmPayloadCodec(config.secrets.codecKeyId, keys)] };
}

/**
 * Connection settings through @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS
 * variables, or a temporal.toml profile), so Temporal Cloud or a self-hosted cluster needs no code change.
 */
export function temporalConnectOptions(address: string) {
  const { connectionOptions, namespace } = loadClientConnectConfig({
    overrideEnvVars: { ...stringEnv(), TEMPORAL_ADDRESS: address },
  });
  return { connectionOptions: { ...connectionOptions, address }, namespace };
}

function stringEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A Temporal client with the shared data converter; the caller closes `client.connection`. */
export async function connectClient(config: AppConfig, address: string): Promise<Client> {
  const { connectionOptions, namespace } = temporalConnectOptions(address);
  const connection = await Connection.connect({ ...connectionOptions, connectTimeout: 10_000 } as Parameters<
    typeof Connection.connect
  >[0]);
  return new Client({ connection, namespace: namespace ?? config.namespace, dataConverter: dataConverter(config) });
}

/** The worker's native connection to the same cluster. */
export async function connectWorker(address: string): Promise<NativeConnectionT> {
  const { NativeConnection } = await import('@temporalio/worker');
  const { connectionOptions } = temporalConnectOptions(address);
  return NativeConnection.connect(connectionOptions);
}
