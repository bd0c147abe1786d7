/**
 * The mesh YAML the shop and the two-services example ship is accepted as written by the real
 * control plane (validation and cross-references), and the fault toggle reconfigures payments.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ControlPlane, startControlPlane } from '@meshwork/control-plane';
import { loadSystemSpec } from './spec.js';

const example = (path: string) => fileURLToPath(new URL(`../../../../examples/${path}`, import.meta.url));

describe('shipped mesh configuration', () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane({ restPort: 0, xdsPort: 0, store: 'memory://', log: () => {} });
  });
  after(() => cp.close());

  const apply = async (files: string[]) => {
    const yaml = files.map((f) => readFileSync(f, 'utf8')).join('\n---\n');
    const res = await fetch(`${cp.url}/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  test('the shop mesh applies cleanly: canary, destination rules, gateway and services', async () => {
    const res = await apply(loadSystemSpec(example('shop/meshwork.yaml')).mesh);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.warnings, []);
    const kinds = res.body.results.map((r: any) => `${r.kind}/${r.name}`);
    for (const k of [
      'Gateway/shop-gateway',
      'VirtualService/shop-edge',
      'VirtualService/catalog',
      'DestinationRule/catalog',
    ]) {
      assert.ok(kinds.includes(k), `${k} applied`);
    }
  });

  test('the payments fault toggle replaces the payments VirtualService', async () => {
    const res = await apply([example('shop/mesh/toggles/payments-fault.yaml')]);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.results.map((r: any) => `${r.kind}/${r.name}:${r.action}`),
      ['VirtualService/payments:configured'],
    );
    const vs = (await (await fetch(`${cp.url}/v1/resources/virtualservice/default/payments`)).json()) as any;
    assert.equal(vs.spec.http[0].fault.abort.httpStatus, 503);
  });

  test('the inventory-grpc fault toggle applies and can be deleted again', async () => {
    const res = await apply([example('shop/mesh/toggles/inventory-grpc-fault.yaml')]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const del = await fetch(`${cp.url}/v1/resources/virtualservice/default/inventory-grpc`, {
      method: 'DELETE',
    });
    assert.ok(del.status < 300);
  });

  test('the two-services example mesh applies cleanly', async () => {
    const res = await apply(loadSystemSpec(example('two-services/meshwork.yaml')).mesh);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
});
