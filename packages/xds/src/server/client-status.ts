import type { JsonObject } from '../codec/from-json.js';
import { lookupMessageType } from '../protos.js';
import type { StreamInfo } from './ads-server.js';
import type { PreparedTypeSnapshot, XdsSnapshot } from './snapshot.js';
import type { StreamTypeStatus } from './stream-host.js';

/** What {@link clientStatus} reads from the server. */
export interface ClientStatusSource {
  streams(): StreamInfo[];
  getSnapshot(nodeId: string): XdsSnapshot | undefined;
}

/** A node filter: CSDS `NodeMatcher`s on the node id (exact, prefix, suffix, contains). */
export type NodeIdMatcher = { exact?: string; prefix?: string; suffix?: string; contains?: string };

function matches(id: string, matcher: NodeIdMatcher): boolean {
  if (matcher.exact !== undefined) return id === matcher.exact;
  if (matcher.prefix !== undefined) return id.startsWith(matcher.prefix);
  if (matcher.suffix !== undefined) return id.endsWith(matcher.suffix);
  if (matcher.contains !== undefined) return id.includes(matcher.contains);
  return true;
}

/**
 * The CSDS view of connected nodes (`envoy.service.status.v3.ClientStatusResponse` in Envoy
 * JSON): per node and resource, what the server serves it and whether the node ACKed or NACKed
 * it. Contents are included as opaque Anys unless `excludeContents`.
 */
export function clientStatus(
  source: ClientStatusSource,
  matchers: NodeIdMatcher[] = [],
  excludeContents = false,
): JsonObject {
  // A node may have an old stream lingering beside its new one: the newest speaks for it.
  const latest = new Map<string, StreamInfo>();
  for (const stream of source.streams()) {
    if (matchers.length > 0 && !matchers.some((m) => matches(stream.nodeId, m))) continue;
    const seen = latest.get(stream.nodeId);
    if (!seen || seen.streamId < stream.streamId) latest.set(stream.nodeId, stream);
  }
  const config = [...latest.values()].map((stream) => {
    const snapshot = source.getSnapshot(stream.nodeId);
    const generic_xds_configs = stream.types.flatMap((status) =>
      typeConfigs(status, snapshot?.types.get(status.typeUrl), excludeContents),
    );
    return { node: stream.node, generic_xds_configs };
  });
  return { config };
}

function typeConfigs(
  status: StreamTypeStatus,
  snapshot: PreparedTypeSnapshot | undefined,
  excludeContents: boolean,
): JsonObject[] {
  const names = new Set(status.resourceNames);
  if (status.wildcard && snapshot) for (const name of snapshot.resources.keys()) names.add(name);
  return [...names].sort().map((name) => {
    const entry: JsonObject = { type_url: status.typeUrl, name, version_info: status.ackedVersion };
    const resource = snapshot?.resources.get(name);
    if (!resource) return { ...entry, client_status: 'DOES_NOT_EXIST', config_status: 'NOT_SENT' };
    if (!excludeContents) entry.xds_config = opaqueAny(resource.typeUrl, resource.encodedAny);
    if (status.nack) {
      return {
        ...entry,
        client_status: 'NACKED',
        config_status: 'ERROR',
        error_state: { details: status.nack.message, version_info: status.nack.version },
      };
    }
    if (status.sentVersion === '') return { ...entry, client_status: 'REQUESTED', config_status: 'NOT_SENT' };
    const synced = status.ackedVersion === status.sentVersion;
    return {
      ...entry,
      client_status: synced ? 'ACKED' : 'REQUESTED',
      config_status: synced ? 'SYNCED' : 'STALE',
    };
  });
}

// The resource is held as an encoded Any; the opaque JSON form carries its bytes unchanged.
function opaqueAny(typeUrl: string, encodedAny: Uint8Array): JsonObject {
  const any = lookupMessageType('google.protobuf.Any').decode(encodedAny) as unknown as { value: Uint8Array };
  return { '@type': typeUrl, '@value': Buffer.from(any.value).toString('base64') };
}
