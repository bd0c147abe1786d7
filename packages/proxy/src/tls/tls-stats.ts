/**
 * Envoy's listener TLS counters (`listener.<address>.ssl.*`), exposed as
 * `envoy_listener_ssl_<name>{envoy_listener_address}`: completed handshakes, failed handshakes,
 * and why client certificates were refused.
 */
import type { Counter, StatsStore } from '../stats/stats.js';
import type { TlsRejection } from './tls-terminator.js';

/** TLS counters of one listener. */
export class TlsStats {
  /** `ssl.handshake`: handshakes that passed the chain's policy. */
  readonly handshake: Counter;
  /** `ssl.connection_error`: handshakes that failed (protocol, no chain for the SNI, timeout). */
  readonly connectionError: Counter;
  /** `ssl.no_certificate`: connections without a client certificate (allowed or not). */
  readonly noCertificate: Counter;
  /** `ssl.fail_verify_no_cert`: refused because the chain requires a client certificate. */
  readonly failVerifyNoCert: Counter;
  /** `ssl.fail_verify_error`: refused because the client certificate did not verify. */
  readonly failVerifyError: Counter;
  /** `ssl.fail_verify_san`: refused because no SAN matched `match_typed_subject_alt_names`. */
  readonly failVerifySan: Counter;

  constructor(store: StatsStore, listenerAddress: string) {
    const l = { envoy_listener_address: listenerAddress };
    const c = (name: string, help: string) => store.counter(`envoy_listener_ssl_${name}`, help, l);
    this.handshake = c('handshake', 'Successful TLS handshakes');
    this.connectionError = c('connection_error', 'Failed TLS handshakes');
    this.noCertificate = c('no_certificate', 'TLS connections without a client certificate');
    this.failVerifyNoCert = c('fail_verify_no_cert', 'Refused: client certificate required');
    this.failVerifyError = c('fail_verify_error', 'Refused: client certificate did not verify');
    this.failVerifySan = c('fail_verify_san', 'Refused: client certificate SAN did not match');
  }

  /** Counts a refused connection. */
  rejected(why: TlsRejection): void {
    if (why === 'no-client-cert') {
      this.noCertificate.inc();
      this.failVerifyNoCert.inc();
    } else if (why === 'bad-client-cert') this.failVerifyError.inc();
    else if (why === 'san-mismatch') this.failVerifySan.inc();
    else this.connectionError.inc();
  }

  /** Counts a session that passed; `anonymous` when it has no client certificate. */
  accepted(anonymous: boolean): void {
    this.handshake.inc();
    if (anonymous) this.noCertificate.inc();
  }
}
