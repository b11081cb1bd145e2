import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usage } from '../../src/cli/usage.js';
import { commandEntry, commandNames } from '../../src/control/registry.js';

/** Commands that exist only as what a switch runs (their switch is in the usage text instead). */
const SWITCH_ONLY = new Set([
  'initregen',
  'deletepatientdb',
  'deletestudydb',
  'deleteseriesdb',
  'deleteimagedb',
  'list_devices',
  'list_amap',
  'list_dicomsql',
  'test_console',
  'test_database',
]);

describe('dgate -?', () => {
  it('every --command it lists exists', () => {
    const listed = [...usage().matchAll(/--([a-z_0-9]+):/g)].map((m) => m[1]!);
    assert.ok(listed.length > 50);
    for (const name of listed) assert.ok(commandEntry(name), `usage lists --${name}, which does not exist`);
  });

  it('every command is listed (by name, or as a switch)', () => {
    const text = usage();
    for (const name of commandNames()) {
      if (SWITCH_ONLY.has(name)) continue;
      assert.match(text, new RegExp(`\\b${name}\\b`), `--${name} is missing from dgate -?`);
    }
  });
});
