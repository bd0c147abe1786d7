/**
 * Opens a store from a URL, the form `meshwork control-plane --store …` takes:
 * - `memory://` — in memory only;
 * - `file://<path>` (or a bare path) — in memory + append-only journal at `<path>`;
 * - `etcd://host:port[,host:port]?prefix=/meshwork` — etcd v3 (use `etcds://` for TLS endpoints).
 */
import { ControlPlaneError } from '../errors.js';
import { EtcdStore, type EtcdStoreOptions } from './etcd-store.js';
import { MemoryFileStore, type MemoryFileStoreOptions } from './memory-file-store.js';
import type { ResourceStore } from './resource-store.js';

/** Extra options passed through to the chosen backend. */
export interface OpenStoreOptions {
  file?: Omit<MemoryFileStoreOptions, 'path'>;
  etcd?: Omit<EtcdStoreOptions, 'hosts' | 'prefix'>;
}

/**
 * Opens the store a URL names.
 *
 * @example
 * const store = await openStore('etcd://127.0.0.1:2379?prefix=/meshwork');
 */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<ResourceStore> {
  if (url === 'memory://' || url === 'memory:') return MemoryFileStore.open(opts.file);
  if (url.startsWith('file://')) {
    const path = decodeURIComponent(url.slice('file://'.length));
    if (!path) throw badUrl(url, 'a file:// store needs a path');
    return MemoryFileStore.open({ ...opts.file, path });
  }
  const etcd = /^(etcds?):\/\/([^/?]+)\/?(\?.*)?$/.exec(url);
  if (etcd) {
    const scheme = etcd[1] === 'etcds' ? 'https' : 'http';
    const hosts = etcd[2].split(',').map((h) => `${scheme}://${h}`);
    const prefix = new URLSearchParams(etcd[3] ?? '').get('prefix') ?? '/meshwork';
    if (!prefix.startsWith('/')) throw badUrl(url, 'prefix must start with "/"');
    return EtcdStore.open({ ...opts.etcd, hosts, prefix });
  }
  if (!url.includes('://')) return MemoryFileStore.open({ ...opts.file, path: url });
  throw badUrl(url, 'expected memory://, file://<path> or etcd://host:port[,host:port][?prefix=/p]');
}

function badUrl(url: string, reason: string): ControlPlaneError {
  return new ControlPlaneError('MESH_ERR_CP_BAD_REQUEST', `store URL "${url}": ${reason}`);
}
