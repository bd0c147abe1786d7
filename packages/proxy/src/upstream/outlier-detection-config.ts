/** Compiles Envoy's `envoy.config.cluster.v3.OutlierDetection` with Envoy's defaults. */
import { ProxyConfigError } from '../errors.js';
import { at, readBool, readDurationMs, readMessage, readUint } from './envoy-json.js';

/** Compiled outlier detection; every field named as Envoy's, with units. */
export interface OutlierDetectionSettings {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionTimeJitterMs: number;
  readonly maxEjectionPercent: number;
  /** Percent chances (0–100) that a detection actually ejects. */
  readonly enforcingConsecutive5xx: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly enforcingSuccessRate: number;
  readonly enforcingFailurePercentage: number;
  /** Split mode: enforcement of the local-origin success-rate and failure-percentage detectors. */
  readonly enforcingLocalOriginSuccessRate: number;
  readonly enforcingFailurePercentageLocalOrigin: number;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  /** Envoy's `success_rate_stdev_factor` (thousandths: 1900 → 1.9 standard deviations). */
  readonly successRateStdevFactor: number;
  readonly failurePercentageThreshold: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  /** Counts connect failures, resets and timeouts apart from HTTP 5xx. */
  readonly splitExternalLocalOriginErrors: boolean;
  readonly successfulActiveHealthCheckUnejectHost: boolean;
  /** Lets one host be ejected even when that alone exceeds `max_ejection_percent`. */
  readonly alwaysEjectOneHost: boolean;
}

/** Envoy's defaults for every field (an empty `outlier_detection: {}` means these). */
export const DEFAULT_OUTLIER_DETECTION: OutlierDetectionSettings = Object.freeze({
  consecutive5xx: 5,
  consecutiveGatewayFailure: 5,
  consecutiveLocalOriginFailure: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionTimeJitterMs: 0,
  maxEjectionPercent: 10,
  enforcingConsecutive5xx: 100,
  enforcingConsecutiveGatewayFailure: 0,
  enforcingConsecutiveLocalOriginFailure: 100,
  enforcingSuccessRate: 100,
  enforcingFailurePercentage: 0,
  enforcingLocalOriginSuccessRate: 100,
  enforcingFailurePercentageLocalOrigin: 0,
  successRateMinimumHosts: 5,
  successRateRequestVolume: 100,
  successRateStdevFactor: 1900,
  failurePercentageThreshold: 85,
  failurePercentageMinimumHosts: 5,
  failurePercentageRequestVolume: 50,
  splitExternalLocalOriginErrors: false,
  successfulActiveHealthCheckUnejectHost: true,
  alwaysEjectOneHost: false,
});

const FIELDS = new Set([
  'consecutive_5xx',
  'consecutive_gateway_failure',
  'consecutive_local_origin_failure',
  'interval',
  'base_ejection_time',
  'max_ejection_time',
  'max_ejection_time_jitter',
  'max_ejection_percent',
  'enforcing_consecutive_5xx',
  'enforcing_consecutive_gateway_failure',
  'enforcing_consecutive_local_origin_failure',
  'enforcing_success_rate',
  'enforcing_local_origin_success_rate',
  'enforcing_failure_percentage',
  'enforcing_failure_percentage_local_origin',
  'success_rate_minimum_hosts',
  'success_rate_request_volume',
  'success_rate_stdev_factor',
  'failure_percentage_threshold',
  'failure_percentage_minimum_hosts',
  'failure_percentage_request_volume',
  'split_external_local_origin_errors',
  'successful_active_health_check_uneject_host',
  'always_eject_one_host',
]);

const PERCENT_FIELDS: ReadonlyArray<[keyof OutlierDetectionSettings, string]> = [
  ['maxEjectionPercent', 'max_ejection_percent'],
  ['enforcingConsecutive5xx', 'enforcing_consecutive_5xx'],
  ['enforcingConsecutiveGatewayFailure', 'enforcing_consecutive_gateway_failure'],
  ['enforcingConsecutiveLocalOriginFailure', 'enforcing_consecutive_local_origin_failure'],
  ['enforcingSuccessRate', 'enforcing_success_rate'],
  ['enforcingFailurePercentage', 'enforcing_failure_percentage'],
  ['enforcingLocalOriginSuccessRate', 'enforcing_local_origin_success_rate'],
  ['enforcingFailurePercentageLocalOrigin', 'enforcing_failure_percentage_local_origin'],
  ['failurePercentageThreshold', 'failure_percentage_threshold'],
];

const COUNT_FIELDS: ReadonlyArray<[keyof OutlierDetectionSettings, string]> = [
  ['consecutive5xx', 'consecutive_5xx'],
  ['consecutiveGatewayFailure', 'consecutive_gateway_failure'],
  ['consecutiveLocalOriginFailure', 'consecutive_local_origin_failure'],
  ['successRateMinimumHosts', 'success_rate_minimum_hosts'],
  ['successRateRequestVolume', 'success_rate_request_volume'],
  ['successRateStdevFactor', 'success_rate_stdev_factor'],
  ['failurePercentageMinimumHosts', 'failure_percentage_minimum_hosts'],
  ['failurePercentageRequestVolume', 'failure_percentage_request_volume'],
];

/** Reads `outlier_detection` (path names it in errors), Envoy's default for every absent field. */
export function compileOutlierDetection(path: string, value: unknown): OutlierDetectionSettings {
  const od = readMessage(path, value, FIELDS);
  const d = DEFAULT_OUTLIER_DETECTION;
  const out: Record<string, number | boolean> = { ...d };
  for (const [key, field] of PERCENT_FIELDS)
    out[key] = readUint(at(path, field), od[field], d[key] as number, 100);
  for (const [key, field] of COUNT_FIELDS) out[key] = readUint(at(path, field), od[field], d[key] as number);
  out.intervalMs = readDurationMs(at(path, 'interval'), od.interval, d.intervalMs);
  out.baseEjectionTimeMs = readDurationMs(
    at(path, 'base_ejection_time'),
    od.base_ejection_time,
    d.baseEjectionTimeMs,
  );
  out.maxEjectionTimeMs = readDurationMs(
    at(path, 'max_ejection_time'),
    od.max_ejection_time,
    d.maxEjectionTimeMs,
  );
  out.maxEjectionTimeJitterMs = readDurationMs(
    at(path, 'max_ejection_time_jitter'),
    od.max_ejection_time_jitter,
    0,
  );
  out.splitExternalLocalOriginErrors = readBool(
    at(path, 'split_external_local_origin_errors'),
    od.split_external_local_origin_errors,
    false,
  );
  out.successfulActiveHealthCheckUnejectHost = readBool(
    at(path, 'successful_active_health_check_uneject_host'),
    od.successful_active_health_check_uneject_host,
    true,
  );
  out.alwaysEjectOneHost = readBool(at(path, 'always_eject_one_host'), od.always_eject_one_host, false);
  if ((out.intervalMs as number) <= 0)
    throw new ProxyConfigError(at(path, 'interval'), 'must be greater than 0');
  // Envoy: an unset max_ejection_time is 300 s or base_ejection_time, whichever is larger.
  if (od.max_ejection_time === undefined) {
    out.maxEjectionTimeMs = Math.max(out.maxEjectionTimeMs as number, out.baseEjectionTimeMs as number);
  } else if ((out.baseEjectionTimeMs as number) > (out.maxEjectionTimeMs as number)) {
    throw new ProxyConfigError(at(path, 'max_ejection_time'), 'must not be less than base_ejection_time');
  }
  return Object.freeze(out) as unknown as OutlierDetectionSettings;
}
