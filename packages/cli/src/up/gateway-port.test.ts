import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { bindGatewayPort } from './gateway-port.js';

const YAML = `
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: { name: edge }
spec:
  servers:
    - { port: { number: 8080, name: http, protocol: HTTP }, hosts: ["*"] }
    - { port: { number: 9443, name: https, protocol: HTTPS }, hosts: ["*"] }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 8080 }] }
`;

test('Gateway servers on 8080 move to the chosen port; other ports and kinds are untouched', () => {
  const docs = parseAllDocuments(bindGatewayPort(YAML, 41000)).map((d) => d.toJS());
  assert.deepEqual(
    docs[0].spec.servers.map((s: any) => s.port.number),
    [41000, 9443],
  );
  assert.equal(docs[1].spec.ports[0].port, 8080);
});

test('on 8080 the text is applied exactly as written', () => {
  assert.equal(bindGatewayPort(YAML, 8080), YAML);
});
