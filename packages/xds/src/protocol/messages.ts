import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { AnyMessage } from '../codec/any.js';
import { fromEnvoyJson, type JsonObject } from '../codec/from-json.js';
import { formatMessage } from '../codec/to-json.js';
import { lookupMessageType } from '../protos.js';

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
/** gRPC method path of state-of-the-world ADS. */
export const ADS_SOTW_METHOD = `/${SERVICE}/StreamAggregatedResources`;
/** gRPC method path of incremental (delta) ADS. */
export const ADS_DELTA_METHOD = `/${SERVICE}/DeltaAggregatedResources`;

/** An xDS client's identity (`envoy.config.core.v3.Node`) in Envoy JSON; `id` is what snapshots key on. */
export interface XdsNode extends JsonObject {
  id: string;
  cluster?: string;
  metadata?: JsonObject;
  user_agent_name?: string;
}

/** `google.rpc.Status` as carried in a NACK. */
export interface XdsErrorDetail {
  code: number;
  message: string;
}

/** A state-of-the-world request (ACK, NACK or subscription change). */
export interface DiscoveryRequest {
  version_info: string;
  node?: XdsNode;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: XdsErrorDetail;
  /**
   * As received: the encoded `resource_names` entries, so that a request restating the last
   * subscription (every ACK does) is recognised by comparing bytes, without decoding the names.
   */
  readonly resource_names_bytes?: Uint8Array;
}

/** An incremental request. */
export interface DeltaDiscoveryRequest {
  node?: XdsNode;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  initial_resource_versions: Record<string, string>;
  response_nonce: string;
  error_detail?: XdsErrorDetail;
}

/** A state-of-the-world response as a client sees it (resources still packed). */
export interface DiscoveryResponse {
  version_info: string;
  resources: AnyMessage[];
  type_url: string;
  nonce: string;
}

/** One resource of an incremental response. `resource` is absent for a heartbeat. */
export interface DeltaResource {
  name: string;
  version: string;
  resource?: AnyMessage;
}

/** An incremental response as a client sees it. */
export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: DeltaResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

const T = {
  request: 'envoy.service.discovery.v3.DiscoveryRequest',
  response: 'envoy.service.discovery.v3.DiscoveryResponse',
  deltaRequest: 'envoy.service.discovery.v3.DeltaDiscoveryRequest',
  deltaResponse: 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  node: 'envoy.config.core.v3.Node',
};

function errorDetail(raw: any): XdsErrorDetail | undefined {
  if (!raw) return undefined;
  return { code: raw.code ?? 0, message: raw.message ?? '' };
}

function node(raw: unknown): XdsNode | undefined {
  return raw ? (formatMessage(lookupMessageType(T.node), raw) as XdsNode) : undefined;
}

/** A length-delimited string; unlike `Reader#string` a truncated one throws (RangeError). */
function readString(reader: protobuf.Reader): string {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new RangeError(`index out of range: ${start} + ${length} > ${reader.len}`);
  reader.pos = end;
  const buf = reader.buf;
  return Buffer.isBuffer(buf)
    ? buf.toString('utf8', start, end)
    : Buffer.from(buf.buffer, buf.byteOffset + start, length).toString('utf8');
}

/** A decoded request whose resource names are decoded from their bytes when first read. */
class WireDiscoveryRequest implements DiscoveryRequest {
  version_info = '';
  node: XdsNode | undefined = undefined;
  type_url = '';
  response_nonce = '';
  error_detail: XdsErrorDetail | undefined = undefined;
  private names: string[] | undefined = undefined;

  constructor(readonly resource_names_bytes: Uint8Array | undefined) {}

  get resource_names(): string[] {
    if (!this.names) {
      if (!this.resource_names_bytes) return [];
      const names: string[] = [];
      const reader = protobuf.Reader.create(this.resource_names_bytes);
      while (reader.pos < reader.len) {
        reader.uint32(); // the tag of field 3: the region holds nothing else
        names.push(readString(reader));
      }
      this.names = names;
    }
    return this.names;
  }

  set resource_names(names: string[]) {
    this.names = names;
  }
}

/**
 * Decodes a state-of-the-world request from the wire. Fields are read as protobufjs would read
 * them, except that `resource_names` stays encoded until asked for: an ACK restating a
 * subscription of sixty names then costs a byte comparison instead of sixty strings.
 */
export function decodeDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest {
  const reader = protobuf.Reader.create(bytes);
  let namesStart = -1;
  let namesEnd = -1;
  let contiguous = true;
  let rawNode: unknown;
  let rawError: unknown;
  let version = '';
  let typeUrl = '';
  let nonce = '';
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== 2 || field < 1 || field > 6) {
      reader.skipType(tag & 7); // not a field of this message (or not of this wire type)
      continue;
    }
    if (field === 1) version = readString(reader);
    else if (field === 2) rawNode = lookupMessageType(T.node).decode(reader, reader.uint32());
    else if (field === 3) {
      if (namesStart < 0) namesStart = start;
      else if (namesEnd !== start) contiguous = false; // another field between names
      reader.skipType(2);
      namesEnd = reader.pos;
    } else if (field === 4) typeUrl = readString(reader);
    else if (field === 5) nonce = readString(reader);
    else rawError = lookupMessageType('google.rpc.Status').decode(reader, reader.uint32());
  }
  // Names interleaved with other fields (no encoder we know does that) have no one region.
  const names = !contiguous
    ? undefined
    : namesStart < 0
      ? bytes.subarray(0, 0)
      : bytes.subarray(namesStart, namesEnd);
  const request = new WireDiscoveryRequest(names);
  request.version_info = version;
  request.node = node(rawNode);
  request.type_url = typeUrl;
  request.response_nonce = nonce;
  request.error_detail = errorDetail(rawError);
  if (!contiguous)
    request.resource_names = (lookupMessageType(T.request).decode(bytes) as any).resource_names;
  return request;
}

/** Decodes an incremental request from the wire. */
export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequest {
  const raw = lookupMessageType(T.deltaRequest).decode(bytes) as any;
  return {
    node: node(raw.node),
    type_url: raw.type_url,
    resource_names_subscribe: raw.resource_names_subscribe,
    resource_names_unsubscribe: raw.resource_names_unsubscribe,
    initial_resource_versions: { ...raw.initial_resource_versions },
    response_nonce: raw.response_nonce,
    error_detail: errorDetail(raw.error_detail),
  };
}

/** Encodes a state-of-the-world request (client side). */
export function encodeDiscoveryRequest(request: Partial<DiscoveryRequest>): Buffer {
  const type = lookupMessageType(T.request);
  return Buffer.from(type.encode(fromEnvoyJson(T.request, request)).finish());
}

/** Encodes an incremental request (client side). */
export function encodeDeltaDiscoveryRequest(request: Partial<DeltaDiscoveryRequest>): Buffer {
  const type = lookupMessageType(T.deltaRequest);
  return Buffer.from(type.encode(fromEnvoyJson(T.deltaRequest, request)).finish());
}

/** Decodes a state-of-the-world response (client side); resources stay packed Anys. */
export function decodeDiscoveryResponse(bytes: Uint8Array): DiscoveryResponse {
  const raw = lookupMessageType(T.response).decode(bytes) as any;
  return {
    version_info: raw.version_info,
    resources: raw.resources,
    type_url: raw.type_url,
    nonce: raw.nonce,
  };
}

/** Decodes an incremental response (client side). */
export function decodeDeltaDiscoveryResponse(bytes: Uint8Array): DeltaDiscoveryResponse {
  const raw = lookupMessageType(T.deltaResponse).decode(bytes) as any;
  return {
    system_version_info: raw.system_version_info,
    resources: raw.resources.map((r: any) => ({
      name: r.name,
      version: r.version,
      resource: r.resource ?? undefined,
    })),
    type_url: raw.type_url,
    removed_resources: raw.removed_resources,
    nonce: raw.nonce,
  };
}

/**
 * Encodes a DiscoveryResponse around Anys that are already encoded: each resource's bytes are
 * produced once per version and copied here, never re-encoded per stream.
 */
export function encodeDiscoveryResponse(
  versionInfo: string,
  encodedAnys: readonly Uint8Array[],
  typeUrl: string,
  nonce: string,
  controlPlaneId = '',
): Buffer {
  const writer = protobuf.Writer.create();
  if (versionInfo) writer.uint32(0x0a).string(versionInfo); // 1: version_info
  for (const any of encodedAnys) writer.uint32(0x12).bytes(any); // 2: resources
  writer.uint32(0x22).string(typeUrl); // 4: type_url
  writer.uint32(0x2a).string(nonce); // 5: nonce
  if (controlPlaneId) writer.uint32(0x32).fork().uint32(0x0a).string(controlPlaneId).ldelim(); // 6: control_plane
  return Buffer.from(writer.finish());
}

/** Encodes a DeltaDiscoveryResponse around already-encoded `Resource` messages. */
export function encodeDeltaDiscoveryResponse(
  systemVersionInfo: string,
  encodedResources: readonly Uint8Array[],
  typeUrl: string,
  removed: readonly string[],
  nonce: string,
  controlPlaneId = '',
): Buffer {
  const writer = protobuf.Writer.create();
  if (systemVersionInfo) writer.uint32(0x0a).string(systemVersionInfo); // 1: system_version_info
  for (const resource of encodedResources) writer.uint32(0x12).bytes(resource); // 2: resources
  writer.uint32(0x22).string(typeUrl); // 4: type_url
  writer.uint32(0x2a).string(nonce); // 5: nonce
  for (const name of removed) writer.uint32(0x32).string(name); // 6: removed_resources
  if (controlPlaneId) writer.uint32(0x3a).fork().uint32(0x0a).string(controlPlaneId).ldelim(); // 7: control_plane
  return Buffer.from(writer.finish());
}

/** Encodes a `google.protobuf.Any` message (type_url 1, value 2) around encoded bytes. */
export function encodeAnyMessage(typeUrl: string, value: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32(0x0a).string(typeUrl).uint32(0x12).bytes(value).finish();
}

/** Encodes a delta `Resource` (version 1, resource 2, name 3) around an encoded Any. */
export function encodeDeltaResource(name: string, version: string, encodedAny: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32(0x0a)
    .string(version)
    .uint32(0x12)
    .bytes(encodedAny)
    .uint32(0x1a)
    .string(name)
    .finish();
}

const identity = (value: Buffer): Buffer => value;

/**
 * The gRPC service definition of `envoy.service.discovery.v3.AggregatedDiscoveryService` for
 * `grpc.Server#addService`: requests decode to the types above, responses are pre-encoded
 * buffers (see {@link encodeDiscoveryResponse}).
 */
export function adsServiceDefinition(): grpc.ServiceDefinition {
  return {
    StreamAggregatedResources: {
      path: ADS_SOTW_METHOD,
      requestStream: true,
      responseStream: true,
      requestSerialize: encodeDiscoveryRequest,
      requestDeserialize: decodeDiscoveryRequest,
      responseSerialize: identity,
      responseDeserialize: decodeDiscoveryResponse,
    },
    DeltaAggregatedResources: {
      path: ADS_DELTA_METHOD,
      requestStream: true,
      responseStream: true,
      requestSerialize: encodeDeltaDiscoveryRequest,
      requestDeserialize: decodeDeltaDiscoveryRequest,
      responseSerialize: identity,
      responseDeserialize: decodeDeltaDiscoveryResponse,
    },
  } as grpc.ServiceDefinition;
}
