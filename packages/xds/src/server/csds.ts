import type * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from '../codec/any.js';
import type { JsonObject } from '../codec/from-json.js';
import { loadXdsProtoFiles } from '../protos.js';
import { type ClientStatusSource, clientStatus, type NodeIdMatcher } from './client-status.js';

const SERVICE = 'envoy.service.status.v3.ClientStatusDiscoveryService';
const REQUEST = 'envoy.service.status.v3.ClientStatusRequest';
const RESPONSE = 'envoy.service.status.v3.ClientStatusResponse';

let loaded = false;
// CSDS pulls in the admin config-dump protos; they load on first use, not with ADS.
function ensureProtos(): void {
  if (loaded) return;
  loadXdsProtoFiles(['envoy/service/status/v3/csds.proto']);
  loaded = true;
}

function decodeRequest(bytes: Buffer): JsonObject {
  ensureProtos();
  return decodeMessage(REQUEST, bytes);
}

function encodeResponse(json: JsonObject): Buffer {
  ensureProtos();
  return Buffer.from(encodeMessage(RESPONSE, json));
}

function encodeRequest(json: JsonObject): Buffer {
  ensureProtos();
  return Buffer.from(encodeMessage(REQUEST, json));
}

function decodeResponse(bytes: Buffer): JsonObject {
  ensureProtos();
  return decodeMessage(RESPONSE, bytes);
}

function respond(source: ClientStatusSource, request: JsonObject): JsonObject {
  const matchers = ((request.node_matchers as JsonObject[] | undefined) ?? []).map(
    (m) => (m.node_id ?? {}) as NodeIdMatcher,
  );
  return clientStatus(source, matchers, request.exclude_resource_contents === true);
}

/**
 * Registers `envoy.service.status.v3.ClientStatusDiscoveryService` (CSDS) on a gRPC server:
 * tools such as grpcdebug or `istioctl`-style clients can ask which configuration each node was
 * served and whether it ACKed or NACKed it.
 */
export function addCsdsService(server: grpc.Server, source: ClientStatusSource): void {
  const method = (name: string, stream: boolean) => ({
    path: `/${SERVICE}/${name}`,
    requestStream: stream,
    responseStream: stream,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  });
  server.addService(
    {
      FetchClientStatus: method('FetchClientStatus', false),
      StreamClientStatus: method('StreamClientStatus', true),
    },
    {
      FetchClientStatus: (
        call: grpc.ServerUnaryCall<JsonObject, JsonObject>,
        callback: grpc.sendUnaryData<JsonObject>,
      ) => callback(null, respond(source, call.request)),
      StreamClientStatus: (call: grpc.ServerDuplexStream<JsonObject, JsonObject>) => {
        call.on('data', (request: JsonObject) => call.write(respond(source, request)));
        call.on('end', () => call.end());
      },
    },
  );
}
