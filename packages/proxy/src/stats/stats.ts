/**
 * The proxy's own counters, gauges and histograms with Prometheus text exposition. Cheaper than
 * prom-client on the hot path: a counter is a number field bumped in place, and label sets are
 * resolved once (per cluster, per listener) into objects the request path holds directly.
 */

/** A monotonically increasing counter. */
export class Counter {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

/** A gauge (can go down). */
export class Gauge {
  value = 0;
}

/** Latency buckets in milliseconds (Envoy's default histogram buckets). */
const BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** A cumulative histogram with fixed buckets. */
export class Histogram {
  readonly counts = new Float64Array(BUCKETS_MS.length + 1);
  sum = 0;
  count = 0;
  observe(v: number): void {
    let i = 0;
    while (i < BUCKETS_MS.length && v > BUCKETS_MS[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

type Metric = Counter | Gauge | Histogram;

interface Family {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly series: Map<string, Metric>;
}

/** A registry of metric families, keyed by name, each with labelled series. */
export class StatsStore {
  private readonly families = new Map<string, Family>();
  /** Extra text appended to the exposition (e.g. the upstream layer's own stats). */
  private readonly collectors: Array<() => string> = [];

  counter(name: string, help: string, labels: Record<string, string> = {}): Counter {
    return this.series(name, 'counter', help, labels, () => new Counter()) as Counter;
  }

  gauge(name: string, help: string, labels: Record<string, string> = {}): Gauge {
    return this.series(name, 'gauge', help, labels, () => new Gauge()) as Gauge;
  }

  histogram(name: string, help: string, labels: Record<string, string> = {}): Histogram {
    return this.series(name, 'histogram', help, labels, () => new Histogram()) as Histogram;
  }

  /** Adds a source of extra exposition text, called on every scrape. */
  addCollector(fn: () => string): void {
    this.collectors.push(fn);
  }

  private series(
    name: string,
    type: Family['type'],
    help: string,
    labels: Record<string, string>,
    make: () => Metric,
  ): Metric {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { type, help, series: new Map() };
      this.families.set(name, f);
    }
    const key = labelText(labels);
    let m = f.series.get(key);
    if (m === undefined) {
      m = make();
      f.series.set(key, m);
    }
    return m;
  }

  /** Value of a counter or gauge series, or 0 (for tests and /stats). */
  value(name: string, labels: Record<string, string> = {}): number {
    const m = this.families.get(name)?.series.get(labelText(labels));
    return m instanceof Histogram ? m.count : (m?.value ?? 0);
  }

  /** Prometheus text exposition format 0.0.4. */
  prometheus(): string {
    let out = '';
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n`;
      for (const [labels, m] of f.series) {
        if (m instanceof Histogram) out += histogramText(name, labels, m);
        else out += `${name}${labels === '' ? '' : `{${labels}}`} ${m.value}\n`;
      }
    }
    for (const c of this.collectors) out += c();
    return out;
  }
}

function histogramText(name: string, labels: string, h: Histogram): string {
  const sep = labels === '' ? '' : ',';
  let out = '';
  let cum = 0;
  for (let i = 0; i < BUCKETS_MS.length; i++) {
    cum += h.counts[i];
    out += `${name}_bucket{${labels}${sep}le="${BUCKETS_MS[i]}"} ${cum}\n`;
  }
  out += `${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}\n`;
  out += `${name}_sum${labels === '' ? '' : `{${labels}}`} ${h.sum}\n`;
  out += `${name}_count${labels === '' ? '' : `{${labels}}`} ${h.count}\n`;
  return out;
}

function labelText(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

/** The per-cluster series the router bumps, resolved once per cluster name. */
export class ClusterStats {
  readonly rq: Counter[];
  readonly rqTime: Histogram;
  readonly retry: Counter;
  readonly timeout: Counter;
  readonly connectFail: Counter;
  readonly noHealthy: Counter;

  constructor(store: StatsStore, cluster: string) {
    const l = { envoy_cluster_name: cluster };
    this.rq = ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) =>
      store.counter('envoy_cluster_upstream_rq', 'Upstream requests by response code class', {
        ...l,
        envoy_response_code_class: c,
      }),
    );
    this.rqTime = store.histogram('envoy_cluster_upstream_rq_time', 'Upstream request time (ms)', l);
    this.retry = store.counter('envoy_cluster_upstream_rq_retry', 'Upstream request retries', l);
    this.timeout = store.counter('envoy_cluster_upstream_rq_timeout', 'Upstream requests that timed out', l);
    this.connectFail = store.counter(
      'envoy_cluster_upstream_cx_connect_fail',
      'Upstream connection failures',
      l,
    );
    this.noHealthy = store.counter(
      'envoy_cluster_upstream_cx_none_healthy',
      'Requests with no healthy host',
      l,
    );
  }

  /** Counts one upstream response by status class. */
  response(status: number, durationMs: number): void {
    const c = Math.floor(status / 100) - 1;
    if (c >= 0 && c < 5) this.rq[c].inc();
    this.rqTime.observe(durationMs);
  }
}

/** Per-route series (routes with a `name`): responses by code class and request time. */
export class RouteStats {
  readonly rq: Counter[];
  readonly rqTime: Histogram;

  constructor(store: StatsStore, vhost: string, route: string) {
    const l = { envoy_virtual_host: vhost, envoy_route: route };
    this.rq = ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) =>
      store.counter('envoy_route_rq', 'Requests per named route by response code class', {
        ...l,
        envoy_response_code_class: c,
      }),
    );
    this.rqTime = store.histogram('envoy_route_rq_time', 'Request time per named route (ms)', l);
  }

  response(status: number, durationMs: number): void {
    const c = Math.floor(status / 100) - 1;
    if (c >= 0 && c < 5) this.rq[c].inc();
    this.rqTime.observe(durationMs);
  }
}

/** The per-HCM (stat_prefix) downstream series. */
export class HcmStats {
  readonly rq: Counter[];
  readonly rqTotal: Counter;
  readonly cxActive: Gauge;
  readonly cxTotal: Counter;
  readonly rqActive: Gauge;
  readonly codecErrors: Counter;

  constructor(store: StatsStore, prefix: string) {
    const l = { envoy_http_conn_manager_prefix: prefix };
    this.rq = ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) =>
      store.counter('envoy_http_downstream_rq_xx', 'Downstream responses by code class', {
        ...l,
        envoy_response_code_class: c,
      }),
    );
    this.rqTotal = store.counter('envoy_http_downstream_rq_total', 'Downstream requests', l);
    this.cxActive = store.gauge('envoy_http_downstream_cx_active', 'Active downstream connections', l);
    this.cxTotal = store.counter('envoy_http_downstream_cx_total', 'Downstream connections', l);
    this.rqActive = store.gauge('envoy_http_downstream_rq_active', 'Active downstream requests', l);
    this.codecErrors = store.counter(
      'envoy_http_downstream_cx_protocol_error',
      'Requests rejected by the codec',
      l,
    );
  }

  response(status: number): void {
    const c = Math.floor(status / 100) - 1;
    if (c >= 0 && c < 5) this.rq[c].inc();
  }
}
