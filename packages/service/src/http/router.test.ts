import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { BadRequestError, NotFoundError } from '../errors.js';
import { Router, reply } from './router.js';

describe('router', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const router = new Router()
      .get('/items/:id', (ctx) => ({ id: ctx.params.id, q: ctx.query.get('q') }))
      .post('/items', async (ctx) => {
        const body = await ctx.body<{ name?: string }>();
        if (!body?.name)
          throw new BadRequestError('invalid item', [{ path: '/name', reason: 'is required' }]);
        return reply(201, { name: body.name }, { location: '/items/1' });
      })
      .get('/missing', () => {
        throw new NotFoundError('no such thing');
      })
      .get('/boom', () => {
        throw new Error('secret internals');
      });
    const log = pino({ level: 'silent' });
    server = createServer((req, res) => void router.handle(req, res, log));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('path params and query are decoded', async () => {
    const res = await fetch(`${base}/items/a%20b?q=x`);
    assert.deepEqual(await res.json(), { id: 'a b', q: 'x' });
  });

  test('a Reply sets status and headers', async () => {
    const res = await fetch(`${base}/items`, { method: 'POST', body: JSON.stringify({ name: 'n' }) });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), '/items/1');
  });

  test('typed errors become problem+json with errors[]', async () => {
    const res = await fetch(`${base}/items`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const problem = (await res.json()) as Record<string, unknown>;
    assert.equal(problem.code, 'MESH_ERR_BAD_REQUEST');
    assert.deepEqual(problem.errors, [{ path: '/name', reason: 'is required' }]);
  });

  test('malformed JSON is a 400 naming the parse error', async () => {
    const res = await fetch(`${base}/items`, { method: 'POST', body: '{nope' });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { detail: string }).detail, /not valid JSON/);
  });

  test('a malformed percent-encoded path parameter is a 400, not a 500', async () => {
    const res = await fetch(`${base}/items/%E0%A4%A`);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { detail: string }).detail, /not valid percent-encoding/);
  });

  test('unknown paths are 404, wrong methods 405 with Allow', async () => {
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
    assert.equal((await fetch(`${base}/missing`)).status, 404);
    const res = await fetch(`${base}/items/1`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });

  test('unexpected errors are 500 without leaking the message', async () => {
    const res = await fetch(`${base}/boom`);
    assert.equal(res.status, 500);
    assert.doesNotMatch(await res.text(), /secret/);
  });
});
