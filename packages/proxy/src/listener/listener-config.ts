/**
 * Envoy `config.listener.v3.Listener`, compiled: the bind address and the HTTP connection
 * manager of its (single) filter chain. Anything this subset cannot honour is rejected by name.
 */
import { ProxyConfigError } from '../errors.js';
import { compileHcm, HCM_TYPE_URL, type HcmConfig } from '../http/connection-manager-config.js';
import { arr, type Json, obj, str, uint } from '../xds/fields.js';

/** A compiled listener. */
export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  /** 0 picks an ephemeral port (tests). */
  readonly port: number;
  readonly hcm: HcmConfig;
  /** The source resource, for /config_dump. */
  readonly source: unknown;
}

const LISTENER_FIELDS = ['name', 'address', 'filter_chains', 'traffic_direction'];

/** Compiles a Listener resource. */
export function compileListener(v: unknown, path: string): ListenerConfig {
  const o = obj(v, path, LISTENER_FIELDS);
  const name = str(o, 'name', path, true);
  const { address, port } = socketAddress(o.address, `${path}.address`);
  const chains = arr(o, 'filter_chains', path);
  if (chains.length !== 1)
    throw new ProxyConfigError(`${path}.filter_chains`, 'exactly one filter chain is supported');
  const cp = `${path}.filter_chains[0]`;
  const chain = obj(chains[0], cp, ['filters', 'name']);
  const filters = arr(chain, 'filters', cp);
  if (filters.length !== 1)
    throw new ProxyConfigError(
      `${cp}.filters`,
      'exactly one network filter (the HTTP connection manager) is supported',
    );
  const fp = `${cp}.filters[0]`;
  const f = obj(filters[0], fp, ['name', 'typed_config']);
  const typed = f.typed_config as Json | undefined;
  if (typed === undefined || typed === null || typeof typed !== 'object') {
    throw new ProxyConfigError(`${fp}.typed_config`, 'required field is missing');
  }
  if (typed['@type'] !== HCM_TYPE_URL) {
    throw new ProxyConfigError(
      `${fp}.typed_config.@type`,
      `unsupported network filter "${String(typed['@type'])}" (only the HTTP connection manager)`,
    );
  }
  const { '@type': _t, ...hcm } = typed;
  return { name, address, port, hcm: compileHcm(hcm, `${fp}.typed_config`), source: v };
}

/** Reads `{socket_address: {address, port_value}}`. */
export function socketAddress(v: unknown, path: string): { address: string; port: number } {
  const o = obj(v, path, ['socket_address']);
  const sp = `${path}.socket_address`;
  const s = obj(o.socket_address, sp, ['address', 'port_value', 'protocol']);
  const protocol = str(s as Json, 'protocol', sp) ?? 'TCP';
  if (protocol !== 'TCP') throw new ProxyConfigError(`${sp}.protocol`, 'only TCP is supported');
  const port = uint(s, 'port_value', sp, 0);
  if (port > 65535) throw new ProxyConfigError(`${sp}.port_value`, 'must be at most 65535');
  return { address: str(s, 'address', sp, true), port };
}
