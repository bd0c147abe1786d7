// node-http-proxy in front of the upstream, with a keep-alive agent (its best configuration).
import http from 'node:http';
import httpProxy from 'http-proxy';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent });
proxy.on('error', (_err, _req, res) => {
  res.writeHead?.(502);
  res.end();
});
http.createServer((req, res) => proxy.web(req, res)).listen(listenPort, '127.0.0.1');
