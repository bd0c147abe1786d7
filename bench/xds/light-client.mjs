// A deliberately light SotW ADS client for the scale benchmark. One process has to play 1,000
// proxies, so it must not spend its time fully decoding every resource (a real proxy pays that on
// its own core, in parallel with the others): it decodes the DiscoveryResponse envelope, names only
// what it needs to subscribe to EDS, looks for markers in the raw resource bytes, and ACKs.
import * as grpc from '@grpc/grpc-js';

const METHOD = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const DELTA_METHOD = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

/** Like {@link lightClientFactory} but speaking incremental (delta) ADS. */
export function lightDeltaClientFactory(xds) {
  const { encodeMessage, lookupMessageType, TYPE_URLS } = xds;
  const Response = lookupMessageType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  const Cluster = lookupMessageType('envoy.config.cluster.v3.Cluster');
  const encodeRequest = (req) =>
    Buffer.from(encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', req));

  return function startLightDeltaClient(address, node, onResponse) {
    const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
    });
    const held = new Map();
    const stream = client.makeBidiStreamRequest(
      DELTA_METHOD,
      (b) => b,
      (buf) => Response.decode(buf),
    );
    let first = true;
    const send = (req) => {
      if (first) {
        req.node = node;
        first = false;
      }
      stream.write(encodeRequest(req));
    };
    const edsNames = new Set();
    stream.on('data', (res) => {
      const typeUrl = res.type_url;
      let byName = held.get(typeUrl);
      if (!byName) held.set(typeUrl, (byName = new Map()));
      for (const r of res.resources) byName.set(r.name, r.resource);
      for (const name of res.removed_resources) byName.delete(name);
      onResponse(
        typeUrl,
        res.resources.map((r) => r.resource),
        res.system_version_info,
      );
      send({ type_url: typeUrl, response_nonce: res.nonce });
      if (typeUrl === TYPE_URLS.CLUSTER) {
        const added = [];
        for (const r of res.resources) {
          const c = Cluster.decode(r.resource.value);
          if ((c.type === 3 || c.type === 'EDS') && !edsNames.has(c.name)) {
            edsNames.add(c.name);
            added.push(c.name);
          }
        }
        if (added.length > 0)
          send({ type_url: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, resource_names_subscribe: added });
      }
    });
    stream.on('error', () => {});
    send({ type_url: TYPE_URLS.LISTENER });
    send({ type_url: TYPE_URLS.CLUSTER });
    send({ type_url: TYPE_URLS.ROUTE_CONFIGURATION, resource_names_subscribe: ['outbound'] });
    return {
      held,
      count: (typeUrl) => held.get(typeUrl)?.size ?? 0,
      close() {
        stream.cancel();
        client.close();
      },
    };
  };
}

export function lightClientFactory(xds) {
  const { encodeMessage, lookupMessageType, TYPE_URLS } = xds;
  const Response = lookupMessageType('envoy.service.discovery.v3.DiscoveryResponse');
  const Cluster = lookupMessageType('envoy.config.cluster.v3.Cluster');
  const encodeRequest = (req) =>
    Buffer.from(encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', req));
  const decodeResponse = (buf) => Response.decode(buf);

  /**
   * @param address host:port of the ADS server
   * @param node the xDS node (Envoy JSON)
   * @param onResponse (typeUrl, resources: { value: Uint8Array }[], version) => void, before the ACK
   */
  return function startLightClient(address, node, onResponse) {
    const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
    });
    const names = new Map([
      [TYPE_URLS.LISTENER, []],
      [TYPE_URLS.CLUSTER, []],
      [TYPE_URLS.ROUTE_CONFIGURATION, ['outbound']],
    ]);
    const held = new Map();
    const merged = new Map();
    const stream = client.makeBidiStreamRequest(METHOD, (b) => b, decodeResponse);
    let first = true;
    const send = (typeUrl, version = '', nonce = '') => {
      const req = {
        type_url: typeUrl,
        version_info: version,
        response_nonce: nonce,
        resource_names: names.get(typeUrl) ?? [],
      };
      if (first) {
        req.node = node;
        first = false;
      }
      stream.write(encodeRequest(req));
    };
    stream.on('data', (res) => {
      const typeUrl = res.type_url;
      if (typeUrl === TYPE_URLS.LISTENER || typeUrl === TYPE_URLS.CLUSTER) held.set(typeUrl, res.resources);
      else {
        // Other types may come one changed resource at a time: merge by name.
        let byName = merged.get(typeUrl);
        if (!byName) merged.set(typeUrl, (byName = new Map()));
        for (const any of res.resources) byName.set(leadingString(any.value), any);
        held.set(typeUrl, [...byName.values()]);
      }
      if (typeUrl === TYPE_URLS.CLUSTER) {
        const eds = [];
        for (const any of res.resources) {
          const c = Cluster.decode(any.value);
          if (c.type === 3 || c.type === 'EDS') eds.push(c.name);
        }
        const wasSubscribed = names.has(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT);
        names.set(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, eds);
        onResponse(typeUrl, res.resources, res.version_info);
        send(typeUrl, res.version_info, res.nonce);
        // A changed cluster list is a new EDS subscription (sent after the CDS ACK, as Envoy does).
        send(
          TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT,
          wasSubscribed ? versionOf(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT) : '',
          nonceOf(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT),
        );
        return;
      }
      versions.set(typeUrl, res.version_info);
      nonces.set(typeUrl, res.nonce);
      onResponse(typeUrl, res.resources, res.version_info);
      send(typeUrl, res.version_info, res.nonce);
    });
    stream.on('error', () => {});
    const versions = new Map();
    const nonces = new Map();
    const versionOf = (t) => versions.get(t) ?? '';
    const nonceOf = (t) => nonces.get(t) ?? '';
    for (const typeUrl of names.keys()) send(typeUrl);
    return {
      held,
      count: (typeUrl) => held.get(typeUrl)?.length ?? 0,
      close() {
        stream.cancel();
        client.close();
      },
    };
  };
}

/** Field 1 of an encoded message when it is a string (the name of routes and assignments). */
function leadingString(bytes) {
  if (bytes[0] !== 0x0a) return '';
  let length = 0;
  let shift = 0;
  let i = 1;
  for (; i < bytes.length; i++) {
    length |= (bytes[i] & 0x7f) << shift;
    shift += 7;
    if (bytes[i] < 0x80) break;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + i + 1, length).toString('latin1');
}
