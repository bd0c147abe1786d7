/**
 * Envoy's gRPC health check: the standard `grpc.health.v1.Health/Check` over HTTP/2 (grpc-js, one
 * channel per host, kept between checks, over the cluster's TLS when it has one; `:authority` is
 * the check's `authority`, else the endpoint's health-check hostname, else the cluster name).
 * Healthy on `SERVING`; `NOT_SERVING` or a non-OK gRPC status is an answer (unhealthy at once);
 * UNAVAILABLE and deadline expiry are "no answer".
 */
import { type ChannelCredentials, Client, credentials, status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { sanMatches } from '../../tls/common-tls-context.js';
import { parseSubjectAltName } from '../../tls/peer-identity.js';
import type { UpstreamTlsConfig } from '../../tls/upstream-tls-context.js';
import { hostKey, type UpstreamHost } from '../host.js';
import type { GrpcCheckSettings } from './health-check-config.js';
import type { HealthProbe, ProbeResult } from './health-probe.js';

const CHECK_METHOD = '/grpc.health.v1.Health/Check';
/** `HealthCheckResponse.ServingStatus.SERVING`. */
const SERVING = 1;

/** gRPC health probe. */
export class GrpcHealthProbe implements HealthProbe {
  private readonly settings: GrpcCheckSettings;
  /** One channel per host, with the target it was opened for (a LOGICAL_DNS address can move). */
  private readonly clients = new Map<UpstreamHost, { client: Client; target: string }>();
  private readonly request: Buffer;
  private readonly clusterName: string;
  private readonly credentials: ChannelCredentials;
  private readonly sni: string | undefined;

  /** `tls`: the cluster's transport socket; checks run through it as Envoy's do. */
  constructor(settings: GrpcCheckSettings, clusterName: string, tls?: UpstreamTlsConfig) {
    this.settings = settings;
    this.clusterName = clusterName;
    this.request = encodeHealthCheckRequest(settings.serviceName);
    this.credentials = tls ? tlsCredentials(tls) : credentials.createInsecure();
    this.sni = tls?.sni || undefined;
  }

  probe(host: UpstreamHost, timeoutMs: number): Promise<ProbeResult> {
    const client = this.clientFor(host);
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        CHECK_METHOD,
        (b: Buffer) => b,
        (b: Buffer) => b,
        this.request,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, response) => {
          if (err) {
            const noAnswer = err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED;
            resolve(noAnswer ? 'unhealthy' : 'unhealthy-now');
            return;
          }
          resolve(response && decodeServingStatus(response) === SERVING ? 'healthy' : 'unhealthy-now');
        },
      );
    });
  }

  forget(host: UpstreamHost): void {
    this.clients.get(host)?.client.close();
    this.clients.delete(host);
  }

  close(): void {
    for (const entry of this.clients.values()) entry.client.close();
    this.clients.clear();
  }

  private clientFor(host: UpstreamHost): Client {
    const target = hostKey(host.address, host.healthCheckPort);
    const cached = this.clients.get(host);
    if (cached?.target === target) return cached.client;
    cached?.client.close();
    // Envoy's order: the check's authority, the endpoint's health-check hostname, the cluster name.
    const authority = this.settings.authority ?? host.healthCheckHostname ?? this.clusterName;
    const options: Record<string, string> = { 'grpc.default_authority': authority };
    if (this.sni) options['grpc.ssl_target_name_override'] = this.sni;
    const client = new Client(target, this.credentials, options);
    this.clients.set(host, { client, target });
    return client;
  }
}

/**
 * TLS credentials with Envoy's verification rules (as the engine's pools apply them): the server
 * certificate is checked only when a trusted CA is configured, its name only against
 * `match_typed_subject_alt_names`.
 */
function tlsCredentials(tls: UpstreamTlsConfig): ChannelCredentials {
  const matchers = tls.common.validation?.sanMatchers ?? [];
  return credentials.createFromSecureContext(tls.secureContext, {
    rejectUnauthorized: tls.common.validation?.trustedCa !== undefined,
    checkServerIdentity: (_name, cert) =>
      sanMatches(matchers, parseSubjectAltName(cert.subjectaltname))
        ? undefined
        : new Error('upstream certificate matches no match_typed_subject_alt_names entry'),
  });
}

/** `HealthCheckRequest { string service = 1; }` in protobuf wire format. */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), encodeVarint(bytes.length), bytes]);
}

/** Reads `HealthCheckResponse.status` (field 1, varint); 0 (UNKNOWN) when absent. */
export function decodeServingStatus(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const [tag, afterTag] = readVarint(buf, i);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) {
      const [value, next] = readVarint(buf, afterTag);
      if (field === 1) return value;
      i = next;
    } else if (wire === 2) {
      const [len, next] = readVarint(buf, afterTag);
      i = next + len;
    } else if (wire === 5) i = afterTag + 4;
    else if (wire === 1) i = afterTag + 8;
    else return 0;
  }
  return 0;
}

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function readVarint(buf: Buffer, i: number): [number, number] {
  let result = 0;
  let shift = 0;
  while (i < buf.length) {
    const b = buf[i++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return [result, i];
}
