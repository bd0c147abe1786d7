import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentsFromValues, normalizeDocument, parseDocuments } from './documents.js';

test('multi-document YAML keeps indices, skips empty documents and expands Lists', () => {
  const { documents, errors } = parseDocuments(
    '---\na: 1\n---\n---\nkind: List\nitems: [{ b: 2 }, { c: 3 }]\n---\nd: 4\n',
    'f.yaml',
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(
    documents.map((d) => [d.index, d.source, d.value]),
    [
      [1, 'f.yaml', { a: 1 }],
      [2, 'f.yaml', { b: 2 }],
      [3, 'f.yaml', { c: 3 }],
      [4, 'f.yaml', { d: 4 }],
    ],
  );
});

test('YAML merge keys work, as in Kubernetes manifests; duplicate keys are errors', () => {
  const merged = parseDocuments('base: &b { x: 1 }\nspec:\n  <<: *b\n  y: 2\n');
  assert.deepEqual((merged.documents[0].value as { spec: unknown }).spec, { x: 1, y: 2 });
  const dup = parseDocuments('a: 1\na: 2\n', 'dup.yaml');
  assert.equal(dup.errors.length, 1);
  assert.match(dup.errors[0].document, /^dup\.yaml:doc 1$/);
  assert.match(dup.errors[0].reason, /YAML syntax error at line 2, column 1: DUPLICATE_KEY/);
});

test('JSON values and arrays become documents', () => {
  const docs = documentsFromValues([[{ a: 1 }, { kind: 'List', items: [{ b: 2 }] }]]);
  assert.deepEqual(
    docs.map((d) => [d.index, d.value]),
    [
      [1, { a: 1 }],
      [2, { b: 2 }],
    ],
  );
});

test('normalizing defaults the namespace and moves Endpoints subsets under spec, without mutating', () => {
  const input = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'e' },
    subsets: [{ addresses: [] }],
  };
  const out = normalizeDocument(input);
  assert.deepEqual(out, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'e', namespace: 'default' },
    spec: { subsets: [{ addresses: [] }] },
  });
  assert.equal((input.metadata as { namespace?: string }).namespace, undefined);
  assert.ok('subsets' in input);
});
