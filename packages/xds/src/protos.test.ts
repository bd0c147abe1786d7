import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from './codec/any.js';
import {
  loadXdsProtoFiles,
  lookupMessageType,
  xdsProtoIncludeDirs,
  xdsProtoLoadMs,
  xdsRoot,
} from './protos.js';
import { TYPE_URLS, toTypeName } from './type-urls.js';

test('the protos come from the grpc-js-xds deps folders, envoy-api first', () => {
  const dirs = xdsProtoIncludeDirs();
  assert.match(dirs[0], /grpc-js-xds[\\/]deps[\\/]envoy-api$/);
  for (const name of ['xds', 'googleapis', 'protoc-gen-validate']) {
    assert.ok(
      dirs.some((d) => d.endsWith(name)),
      `include dirs miss ${name}`,
    );
  }
});

test('every resource type and the filters the mesh configures are loaded', () => {
  xdsRoot();
  assert.ok(xdsProtoLoadMs() > 0);
  const names = [
    ...Object.values(TYPE_URLS).map(toTypeName),
    'envoy.config.bootstrap.v3.Bootstrap',
    'envoy.service.discovery.v3.DeltaDiscoveryResponse',
    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    'envoy.extensions.filters.http.router.v3.Router',
    'envoy.extensions.filters.http.fault.v3.HTTPFault',
    'envoy.extensions.filters.http.rbac.v3.RBAC',
    'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
    'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
    'envoy.extensions.filters.http.cors.v3.Cors',
    'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    'envoy.extensions.clusters.aggregate.v3.ClusterConfig',
    'envoy.extensions.access_loggers.file.v3.FileAccessLog',
    'envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash',
    'xds.type.v3.TypedStruct',
  ];
  for (const name of names) assert.equal(lookupMessageType(name).fullName, `.${name}`);
});

test('an unknown message type fails with MESH_ERR_XDS_UNKNOWN_TYPE', () => {
  assert.throws(() => lookupMessageType('envoy.config.nothing.v3.Nothing'), {
    code: 'MESH_ERR_XDS_UNKNOWN_TYPE',
    message: 'unknown type "envoy.config.nothing.v3.Nothing"',
  });
});

test('more proto files can be loaded into the shared root and used inside typed_config', () => {
  loadXdsProtoFiles(['envoy/extensions/filters/http/csrf/v3/csrf.proto']);
  const filter = {
    name: 'envoy.filters.http.csrf',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.csrf.v3.CsrfPolicy',
      filter_enabled: { default_value: { numerator: 100 } },
    },
  };
  const out = normalize('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', filter);
  assert.deepEqual(out, filter);
});

test('a proto file that does not exist fails with MESH_ERR_XDS_PROTO_LOAD', () => {
  assert.throws(() => loadXdsProtoFiles(['envoy/not/here.proto']), { code: 'MESH_ERR_XDS_PROTO_LOAD' });
});
