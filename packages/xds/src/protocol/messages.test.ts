import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import protobuf from 'protobufjs';
import { lookupMessageType } from '../protos.js';
import { TYPE_URLS } from '../type-urls.js';
import { decodeDiscoveryRequest, encodeDiscoveryRequest } from './messages.js';

const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';

describe('DiscoveryRequest decoding', () => {
  test('reads every field as the protobuf decoder does, names included', () => {
    const bytes = encodeDiscoveryRequest({
      version_info: '7',
      node: { id: 'web-1', cluster: 'web', metadata: { app_port: 8080, mode: 'sidecar' } },
      resource_names: ['a', 'b', 'c'],
      type_url: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT,
      response_nonce: 'n-3',
      error_detail: { code: 3, message: 'port 6666 is reserved' },
    });
    const request = decodeDiscoveryRequest(bytes);
    const reference = lookupMessageType(REQUEST).decode(bytes) as any;
    assert.equal(request.version_info, '7');
    assert.equal(request.type_url, TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT);
    assert.equal(request.response_nonce, 'n-3');
    assert.deepEqual(request.resource_names, reference.resource_names);
    assert.deepEqual(request.resource_names, ['a', 'b', 'c']);
    assert.equal(request.node?.id, 'web-1');
    assert.deepEqual(request.node?.metadata, { app_port: 8080, mode: 'sidecar' });
    assert.deepEqual(request.error_detail, { code: 3, message: 'port 6666 is reserved' });
  });

  test('equal subscriptions have equal name bytes; an empty one has none', () => {
    const ack = (nonce: string, names: string[]) =>
      decodeDiscoveryRequest(
        encodeDiscoveryRequest({
          type_url: TYPE_URLS.ROUTE_CONFIGURATION,
          response_nonce: nonce,
          resource_names: names,
        }),
      );
    const one = ack('n-1', ['outbound', 'inbound']);
    const two = ack('n-2', ['outbound', 'inbound']);
    const other = ack('n-3', ['outbound']);
    assert.deepEqual(Buffer.from(one.resource_names_bytes!), Buffer.from(two.resource_names_bytes!));
    assert.notDeepEqual(Buffer.from(one.resource_names_bytes!), Buffer.from(other.resource_names_bytes!));
    const none = ack('n-4', []);
    assert.equal(none.resource_names_bytes?.length, 0);
    assert.deepEqual(none.resource_names, []);
  });

  test('names interleaved with other fields and unknown fields still decode', () => {
    // Field order is free on the wire: names around the type URL, and an unknown field 99.
    const w = protobuf.Writer.create();
    w.uint32((3 << 3) | 2).string('a');
    w.uint32((4 << 3) | 2).string(TYPE_URLS.CLUSTER);
    w.uint32((99 << 3) | 0).uint32(5);
    w.uint32((3 << 3) | 2).string('b');
    w.uint32((5 << 3) | 2).string('n-9');
    const request = decodeDiscoveryRequest(w.finish());
    assert.deepEqual(request.resource_names, ['a', 'b']);
    assert.equal(request.resource_names_bytes, undefined);
    assert.equal(request.type_url, TYPE_URLS.CLUSTER);
    assert.equal(request.response_nonce, 'n-9');
  });

  test('truncated bytes are an error, not a half-read request', () => {
    const bytes = encodeDiscoveryRequest({ type_url: TYPE_URLS.CLUSTER, resource_names: ['abcdef'] });
    assert.throws(() => decodeDiscoveryRequest(bytes.subarray(0, bytes.length - 3)), RangeError);
  });
});
