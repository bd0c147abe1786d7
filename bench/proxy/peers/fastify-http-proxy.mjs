// @fastify/http-proxy in front of the upstream (undici pool under the hood).
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://127.0.0.1:${upstreamPort}`, http2: false });
await app.listen({ port: listenPort, host: '127.0.0.1' });
