import * as grpc from '@grpc/grpc-js';
import type { XdsNode } from '../protocol/messages.js';
import { inPushOrder } from '../type-urls.js';
import type { AdsStream, StreamHost, StreamTypeStatus } from './stream-host.js';

/** What both stream kinds keep per type URL and report in {@link AdsStream.status}. */
export interface StreamTypeStateBase {
  wildcard: boolean;
  names: Set<string>;
  sentVersion: string;
  ackedVersion: string;
  nack?: { version: string; message: string };
}

/**
 * What the SotW and delta streams share: admitting a request (node identity on the first one,
 * a type URL on each), writing responses with back-pressure, reporting status, and ending.
 */
export abstract class AdsStreamBase<
  Request extends { node?: XdsNode | null; type_url: string },
  State extends StreamTypeStateBase,
> implements AdsStream
{
  abstract readonly delta: boolean;
  node: XdsNode | undefined;
  protected readonly types = new Map<string, State>();
  /** `types`' keys in push order, kept until a type is added. */
  private pushOrder: string[] | undefined;
  protected closed = false;
  /** Responses are backed up in the write buffer; pushes wait for 'drain'. */
  protected blocked = false;

  constructor(
    readonly id: number,
    protected readonly host: StreamHost,
    protected readonly call: grpc.ServerDuplexStream<Request, Buffer>,
  ) {}

  get peer(): string {
    return this.call.getPeer();
  }

  abstract pushAll(): void;

  /** Starts following a type the client asked for. */
  protected addType(typeUrl: string, state: State): void {
    this.types.set(typeUrl, state);
    this.pushOrder = undefined;
  }

  /** The followed types in the order pushes go out (see PUSH_ORDER). */
  protected typesInPushOrder(): readonly string[] {
    this.pushOrder ??= inPushOrder(this.types.keys());
    return this.pushOrder;
  }

  /**
   * Checks a request before it is handled: the first one must name (and be allowed to act as)
   * a node, every one a type URL. Returns the type URL, or undefined when the stream is closed
   * or was just failed.
   */
  protected admit(request: Request): string | undefined {
    if (this.closed) return undefined;
    if (!this.node) {
      if (!request.node?.id) {
        this.fail(grpc.status.INVALID_ARGUMENT, 'the first request must carry node.id');
        return undefined;
      }
      if (!this.host.authorize(request.node, this.call as grpc.ServerDuplexStream<unknown, unknown>)) {
        this.fail(grpc.status.PERMISSION_DENIED, `peer may not act as node ${request.node.id}`);
        return undefined;
      }
      this.node = request.node;
      this.host.attach(this);
    }
    if (!request.type_url) {
      this.fail(grpc.status.INVALID_ARGUMENT, 'ADS requests must carry type_url');
      return undefined;
    }
    return request.type_url;
  }

  protected write(buffer: Buffer): void {
    try {
      if (!this.call.write(buffer) && !this.blocked) {
        // The client is not reading (or its link is slow): hold further pushes and send the
        // latest state once the buffered responses drain, rather than queue every version.
        this.blocked = true;
        this.call.once('drain', () => {
          this.blocked = false;
          this.pushAll();
        });
      }
    } catch (err) {
      this.host.emit('error', err as Error);
    }
  }

  status(): StreamTypeStatus[] {
    return [...this.types].map(([typeUrl, s]) => ({
      typeUrl,
      wildcard: s.wildcard,
      resourceNames: [...s.names],
      sentVersion: s.sentVersion,
      ackedVersion: s.ackedVersion,
      nack: s.nack,
    }));
  }

  protected fail(code: grpc.status, details: string): void {
    this.closed = true;
    // grpc-js turns an 'error' on a server stream into the call's final status.
    this.call.emit('error', { code, details });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.call.end();
  }
}
