// A deliberately light ADS client for the scale benchmark. One process has to play hundreds of
// proxies, so it must not spend its time fully decoding every resource (a real proxy pays that on
// its own core, in parallel with the others): it decodes the DiscoveryResponse envelope, names only
// what it needs to subscribe to EDS, looks for markers in the raw resource bytes, and ACKs.
//
// Each client has its own HTTP/2 connection and speaks gRPC on it: by default with a minimal
// client on node:http2 (length-prefixed messages on one POST stream, as the gRPC wire protocol
// says), whose per-message cost is closer to a proxy's native client than grpc-js's layered call
// stack; BENCH_CLIENT=grpc-js runs the same clients on @grpc/grpc-js instead.
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const USE_GRPC_JS = process.env.BENCH_CLIENT === 'grpc-js';

const METHOD = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const DELTA_METHOD = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

/** Like {@link lightClientFactory} but speaking incremental (delta) ADS. */
export function lightDeltaClientFactory(xds) {
  const { lookupMessageType, TYPE_URLS } = xds;
  const Response = lookupMessageType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  const Cluster = lookupMessageType('envoy.config.cluster.v3.Cluster');
  const encodeRequest = requestEncoder(xds, 'envoy.service.discovery.v3.DeltaDiscoveryRequest');

  return function startLightDeltaClient(address, node, onResponse) {
    const held = new Map();
    const { stream, close } = openStream(address, DELTA_METHOD, (buf) => Response.decode(buf));
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
      close,
    };
  };
}

export function lightClientFactory(xds) {
  const { lookupMessageType, TYPE_URLS } = xds;
  const Response = lookupMessageType('envoy.service.discovery.v3.DiscoveryResponse');
  const Cluster = lookupMessageType('envoy.config.cluster.v3.Cluster');
  const encodeRequest = sotwRequestEncoder(xds);
  const decodeResponse = (buf) => Response.decode(buf);

  /**
   * @param address host:port of the ADS server
   * @param node the xDS node (Envoy JSON)
   * @param onResponse (typeUrl, resources: { value: Uint8Array }[], version) => void, before the ACK
   */
  return function startLightClient(address, node, onResponse) {
    const names = new Map([
      [TYPE_URLS.LISTENER, []],
      [TYPE_URLS.CLUSTER, []],
      [TYPE_URLS.ROUTE_CONFIGURATION, ['outbound']],
    ]);
    const held = new Map();
    const merged = new Map();
    const { stream, close } = openStream(address, METHOD, decodeResponse);
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
        held.set(typeUrl, byName);
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
      count: (typeUrl) => {
        const resources = held.get(typeUrl);
        return resources ? (resources.length ?? resources.size) : 0;
      },
      close,
    };
  };
}

/**
 * Opens one bidirectional gRPC stream on a connection of its own: `stream.write(bytes)` sends a
 * message, `stream.on('data', message)` receives decoded ones.
 */
function openStream(address, method, decode) {
  if (USE_GRPC_JS) {
    const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
    });
    const stream = client.makeBidiStreamRequest(method, (b) => b, decode);
    return {
      stream,
      close() {
        stream.cancel();
        client.close();
      },
    };
  }
  const session = http2.connect(`http://${address}`);
  session.on('error', () => {});
  const req = session.request({
    ':method': 'POST',
    ':path': method,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  req.on('error', () => {});
  const listeners = [];
  const stream = {
    on(event, fn) {
      if (event === 'data') listeners.push(fn);
      return stream;
    },
    write(bytes) {
      const frame = Buffer.allocUnsafe(5 + bytes.length);
      frame[0] = 0;
      frame.writeUInt32BE(bytes.length, 1);
      frame.set(bytes, 5);
      req.write(frame);
    },
  };
  // gRPC length-prefixed messages, which may span DATA frames or share one.
  let pending = null;
  req.on('data', (chunk) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    while (buf.length >= 5) {
      const length = buf.readUInt32BE(1);
      if (buf.length < 5 + length) break;
      const message = decode(buf.subarray(5, 5 + length));
      buf = buf.subarray(5 + length);
      for (const fn of listeners) fn(message);
    }
    if (buf.length > 0) pending = buf;
  });
  return {
    stream,
    close() {
      req.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
    },
  };
}

/**
 * Encodes requests: the first one (it carries the node, whose metadata is a Struct) through the
 * Envoy JSON codec, the ACKs that follow — plain strings and lists — straight with protobufjs, as a
 * proxy's own encoder would, so that the simulated sidecars cost what the wire costs.
 */
function requestEncoder(xds, typeName) {
  const Request = xds.lookupMessageType(typeName);
  return (req) => {
    const bytes = req.node ? xds.encodeMessage(typeName, req) : Request.encode(req).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/**
 * Like {@link requestEncoder} for SotW requests, which restate their resource names in every ACK:
 * a list of names is encoded once (the client keeps one array per subscription), as a proxy's
 * own encoder could.
 */
function sotwRequestEncoder(xds) {
  const typeName = 'envoy.service.discovery.v3.DiscoveryRequest';
  const encodedNames = new WeakMap();
  return (req) => {
    if (req.node) return requestEncoder(xds, typeName)(req);
    let names = encodedNames.get(req.resource_names);
    if (!names) {
      const w = protobuf.Writer.create();
      for (const name of req.resource_names) w.uint32(0x1a).string(name); // 3: resource_names
      names = w.finish();
      encodedNames.set(req.resource_names, names);
    }
    const head = protobuf.Writer.create();
    if (req.version_info) head.uint32(0x0a).string(req.version_info); // 1: version_info
    const tail = protobuf.Writer.create();
    tail.uint32(0x22).string(req.type_url); // 4: type_url
    if (req.response_nonce) tail.uint32(0x2a).string(req.response_nonce); // 5: response_nonce
    return Buffer.concat([head.finish(), names, tail.finish()]);
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
