import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isControlPlaneError } from '../errors.js';
import { compileLabelSelector } from './label-selector.js';

const labels = { app: 'reviews', version: 'v2', tier: 'web' };

test('equality, inequality, set and existence requirements all hold together', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['app=reviews', true],
    ['app==reviews', true],
    ['app!=reviews', false],
    ['version in (v1,v2)', true],
    ['version in (v1, v3)', false],
    ['version notin (v1)', true],
    ['tier', true],
    ['!canary', true],
    ['!tier', false],
    ['app=reviews,version in (v2),!canary', true],
    ['app=reviews,missing', false],
    ['missing!=x', true],
  ];
  for (const [selector, expected] of cases)
    assert.equal(compileLabelSelector(selector)(labels), expected, selector);
  assert.equal(compileLabelSelector('app')(undefined), false);
});

test('an unreadable requirement is a bad request naming it', () => {
  assert.throws(
    () => compileLabelSelector('app=reviews,version in v1'),
    (err) => isControlPlaneError(err, 'MESH_ERR_CP_BAD_REQUEST') && /"version in v1"/.test(err.message),
  );
});
