import type { PreparedResource, PreparedTypeSnapshot } from './snapshot.js';

/** Where one SotW stream stands for one type URL. */
export interface TypeState {
  wildcard: boolean;
  /** Whether the client ever subscribed by name: after that, an empty list means "nothing". */
  everNamed: boolean;
  names: Set<string>;
  /** The encoded names of the last request, to recognise a restated subscription. */
  namesBytes: Uint8Array | undefined;
  nonce: string;
  /** The sequence number of `nonce` (see ResponseShare). */
  nonceSeq: number;
  sentVersion: string;
  /** The latest version the stream is known to be current at (sent, or unchanged by it). */
  currentVersion: string;
  /** `name:hash` of what was last sent, to skip pushes that would change nothing. */
  sentContent: string | undefined;
  /**
   * RDS/EDS (and other types the client names, not LDS/CDS) may be answered with only the
   * resources that changed: per name, what the client holds or has in flight.
   */
  held: Map<string, PreparedResource>;
  /** The resources of the last response, dropped from `held` when the client NACKs it. */
  lastSent: readonly PreparedResource[];
  /** The content of the last NACKed partial response, not sent again as it is. */
  rejectedContent: string | undefined;
  /** The type snapshot the stream was last brought up to date with: unchanged, nothing to do. */
  lastSnapshot: PreparedTypeSnapshot | undefined;
  ackedVersion: string;
  nack?: { version: string; message: string };
  /** The subscription changed (in a stale request) since the last response was sent. */
  subscriptionChanged: boolean;
}

/** The state of a type a stream has just subscribed to: nothing sent yet. */
export function newTypeState(): TypeState {
  return {
    wildcard: false,
    everNamed: false,
    names: new Set(),
    namesBytes: undefined,
    nonce: '',
    nonceSeq: 0,
    sentVersion: '',
    currentVersion: '',
    sentContent: undefined,
    held: new Map(),
    lastSent: [],
    rejectedContent: undefined,
    lastSnapshot: undefined,
    ackedVersion: '',
    subscriptionChanged: false,
  };
}
