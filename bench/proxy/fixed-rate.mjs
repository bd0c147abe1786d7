// Fixed-rate HTTP/1.1 load (open model): sends `rate` requests/s spread over keep-alive
// connections and records each request's latency with a µs clock. Prints JSON {p50, p99, ...} in ms.
// Raw sockets keep the generator's own cost small and identical for every target.
import { connect } from 'node:net';

const [port, rate = 1000, seconds = 5, conns = 16] = process.argv.slice(2).map(Number);
const request = Buffer.from(`GET / HTTP/1.1\r\nHost: bench\r\n\r\n`);
const latencies = [];
const idle = [];
let errors = 0;

function open() {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.setNoDelay(true);
    s.busySince = 0n;
    s.buf = '';
    s.on('data', (d) => {
      s.buf += d.toString('latin1');
      // Responses are small with Content-Length; one complete response frees the socket.
      const he = s.buf.indexOf('\r\n\r\n');
      if (he < 0) return;
      const m = /content-length: *(\d+)/i.exec(s.buf.slice(0, he));
      const len = m ? Number(m[1]) : 0;
      if (s.buf.length < he + 4 + len) return;
      s.buf = s.buf.slice(he + 4 + len);
      latencies.push(Number(process.hrtime.bigint() - s.busySince) / 1e6);
      idle.push(s);
    });
    s.on('error', () => errors++);
  });
}

for (let i = 0; i < conns; i++) idle.push(await open());
const total = rate * seconds;
let sent = 0;
let dropped = 0;
const start = process.hrtime.bigint();
const periodNs = 1e9 / rate;
await new Promise((resolve) => {
  const tick = () => {
    const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / periodNs) + 1);
    while (sent < due) {
      const s = idle.pop();
      sent++;
      if (!s) {
        dropped++;
        continue;
      }
      s.busySince = process.hrtime.bigint();
      s.write(request);
    }
    if (sent >= total) setTimeout(resolve, 200);
    else setTimeout(tick, 1);
  };
  tick();
});
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
console.log(
  JSON.stringify({
    count: latencies.length,
    dropped,
    errors,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: latencies.at(-1),
  }),
);
process.exit(0);
