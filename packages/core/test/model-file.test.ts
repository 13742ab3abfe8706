/**
 * The model file format rbmlab.rbm/1: exact round trips for every unit type, defaults, and one
 * clear line for each kind of bad input.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
// TODO(index.ts): import these from '@rbmlab/core' once index.ts exports io/model-file.
import {
  formatRbm,
  loadRbm,
  MODEL_FORMAT,
  ModelFileError,
  rbmFromJSON,
  rbmToJSON,
  saveRbm,
} from '../src/io/model-file';
import { loadModelFile } from '../src/io/load';
import { normalizability } from '../src/models/checks';
import { RBM } from '../src/models/rbm';
import { cumulantUnit } from '../src/units/custom';
import { createLayer, HIDDEN_UNIT_TYPES, registerUnitType, VISIBLE_UNIT_TYPES } from '../src/units/registry';
import type { UnitLayer } from '../src/units/unit';

/** A small deterministic stream of uint32 for test data (mulberry32), not the platform generator. */
function testStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Doubles that exercise every bit: a mix of arbitrary float64 bit patterns (any finite value,
 * subnormals included), values of ordinary size, and the awkward ones (-0, extremes).
 */
function testDoubles(count: number, next: () => number, positive = false): number[] {
  const view = new DataView(new ArrayBuffer(8));
  const special = [-0, 0, 5e-324, -5e-324, 1.7976931348623157e308, 0.1 + 0.2, 1 / 3, -2.2250738585072014e-308];
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    let x: number;
    const kind = next() % 3;
    if (kind === 0) {
      do {
        view.setUint32(0, next());
        view.setUint32(4, next());
        x = view.getFloat64(0);
      } while (!Number.isFinite(x));
    } else if (kind === 1) {
      x = (next() / 2 ** 32 - 0.5) * 2 ** ((next() % 20) - 10);
    } else {
      x = special[next() % special.length];
    }
    if (positive) {
      x = Math.abs(x);
      if (!(x > 0)) x = 0.75;
    }
    out.push(x);
  }
  return out;
}

const POSITIVE = new Set(['gamma', 'gammaPlus', 'gammaMinus']);

function randomLayer(type: string, size: number, role: 'visible' | 'hidden', next: () => number): UnitLayer {
  const names = Object.keys(createLayer(type, size, undefined, role).params);
  const params: Record<string, number[]> = {};
  for (const name of names) params[name] = testDoubles(size, next, POSITIVE.has(name));
  return createLayer(type, size, params, role);
}

function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(b.length).toBe(a.length);
  for (let k = 0; k < a.length; k++) {
    if (!Object.is(a[k], b[k])) throw new Error(`entry ${k}: ${a[k]} !== ${b[k]}`);
  }
}

function expectSameModel(a: RBM, b: RBM): void {
  expect(b.visible.type).toBe(a.visible.type);
  expect(b.hidden.type).toBe(a.hidden.type);
  expect(b.numVisible).toBe(a.numVisible);
  expect(b.numHidden).toBe(a.numHidden);
  for (const [la, lb] of [
    [a.visible, b.visible],
    [a.hidden, b.hidden],
  ]) {
    expect(Object.keys(lb.params)).toEqual(Object.keys(la.params));
    for (const name of Object.keys(la.params)) expectSameBits(la.params[name], lb.params[name]);
  }
  expectSameBits(a.weights, b.weights);
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmlab-model-file-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('round trips', () => {
  // distinct sizes so that a swapped axis fails
  const N = 5;
  const M = 3;
  for (const visibleType of VISIBLE_UNIT_TYPES) {
    for (const hiddenType of HIDDEN_UNIT_TYPES) {
      test(`${visibleType} visible x ${hiddenType} hidden: save, load, save is bit-identical`, () => {
        const next = testStream(visibleType.length * 131 + hiddenType.length * 17 + hiddenType.charCodeAt(0));
        const rbm = new RBM(
          randomLayer(visibleType, N, 'visible', next),
          randomLayer(hiddenType, M, 'hidden', next),
          Float64Array.from(testDoubles(N * M, next)),
        );
        const file = path.join(dir, `${visibleType}-${hiddenType}.json`);
        saveRbm(file, rbm);
        // arbitrary float64 weights make most gaussian-visible models non-normalizable: a valid
        // file whose model has no distribution, which loadRbm refuses naming the file
        // (models/checks.ts); the format itself round-trips through rbmFromJSON all the same
        const reason = normalizability(rbm);
        if (reason !== undefined) expect(() => loadRbm(file)).toThrow(`${file}: ${reason}`);
        const loaded = reason === undefined ? loadRbm(file) : rbmFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')), file);
        expectSameModel(rbm, loaded);
        const again = path.join(dir, `${visibleType}-${hiddenType}-again.json`);
        saveRbm(again, loaded);
        expect(fs.readFileSync(again)).toEqual(fs.readFileSync(file));
        // the in-memory form agrees with the file
        const json = rbmToJSON(rbm);
        expect(json.format).toBe(MODEL_FORMAT);
        expect(json.visible).toMatchObject({ type: visibleType, size: N });
        expect(json.hidden).toMatchObject({ type: hiddenType, size: M });
        expect(json.weights).toHaveLength(N);
        for (const row of json.weights) expect(row).toHaveLength(M);
        expectSameModel(rbm, rbmFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')), file));
      });
    }
  }

  test('file layout: format first, one weight row per line, -0 kept', () => {
    const rbm = new RBM(
      createLayer('bernoulli', 2, { bias: [-0, 0.5] }, 'visible'),
      createLayer('relu', 3, { bias: [1, 2, 3], gamma: [1, 2, 0.5] }),
      Float64Array.from([0.1, -0.2, 1e-300, -0, 3, 4]),
    );
    expect(formatRbm(rbm)).toBe(
      [
        '{',
        '  "format": "rbmlab.rbm/1",',
        '  "visible": {',
        '    "type": "bernoulli",',
        '    "size": 2,',
        '    "bias": [-0, 0.5]',
        '  },',
        '  "hidden": {',
        '    "type": "relu",',
        '    "size": 3,',
        '    "bias": [1, 2, 3],',
        '    "gamma": [1, 2, 0.5]',
        '  },',
        '  "weights": [',
        '    [0.1, -0.2, 1e-300],',
        '    [-0, 3, 4]',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    const back = rbmFromJSON(JSON.parse(formatRbm(rbm)));
    expect(Object.is(back.visible.params.bias[0], -0)).toBe(true);
    expect(Object.is(back.weights[3], -0)).toBe(true);
  });

  test('saving leaves no temporary file and replaces an existing file', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'atomic-'));
    const file = path.join(sub, 'model.json');
    const next = testStream(7);
    const first = new RBM(createLayer('spin', 2, {}, 'visible'), createLayer('bernoulli', 3), Float64Array.from(testDoubles(6, next)));
    const second = new RBM(createLayer('spin', 2, {}, 'visible'), createLayer('bernoulli', 3), Float64Array.from(testDoubles(6, next)));
    saveRbm(file, first);
    saveRbm(file, second);
    expect(fs.readdirSync(sub)).toEqual(['model.json']);
    expectSameModel(second, loadRbm(file));
  });

  test('a registered custom unit type is saved and loaded', () => {
    const sqsoftplus = cumulantUnit({
      name: 'sqsoftplus-test',
      cumulant: (x) => Math.log1p(Math.exp(x)) ** 2 / 2,
      activation: (x) => Math.log1p(Math.exp(x)) / (1 + Math.exp(-x)),
    });
    registerUnitType('sqsoftplus-test', sqsoftplus);
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), sqsoftplus(3, { bias: [0.5, -1, 2] }), Float64Array.from([1, 2, 3, 4, 5, 6]));
    const file = path.join(dir, 'custom-registered.json');
    saveRbm(file, rbm);
    expectSameModel(rbm, loadRbm(file));
  });
});

describe('defaults', () => {
  test('a missing bias is zeros, a missing gamma is ones', () => {
    const rbm = rbmFromJSON({
      format: 'rbmlab.rbm/1',
      visible: { type: 'gaussian', size: 2 },
      hidden: { type: 'relu', size: 3 },
      weights: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
    expect(Array.from(rbm.visible.params.bias)).toEqual([0, 0]);
    expect(Array.from(rbm.visible.params.gamma)).toEqual([1, 1]);
    expect(Array.from(rbm.hidden.params.bias)).toEqual([0, 0, 0]);
    expect(Array.from(rbm.hidden.params.gamma)).toEqual([1, 1, 1]);
    expect(Array.from(rbm.weights)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('drelu: missing gammaPlus, gammaMinus are ones, missing biasPlus, biasMinus are zeros', () => {
    const rbm = rbmFromJSON({
      format: 'rbmlab.rbm/1',
      visible: { type: 'bernoulli', size: 1, bias: [0.5] },
      hidden: { type: 'drelu', size: 2, gammaMinus: [2, 3] },
      weights: [[1, 2]],
    });
    expect(Array.from(rbm.hidden.params.gammaPlus)).toEqual([1, 1]);
    expect(Array.from(rbm.hidden.params.gammaMinus)).toEqual([2, 3]);
    expect(Array.from(rbm.hidden.params.biasPlus)).toEqual([0, 0]);
    expect(Array.from(rbm.hidden.params.biasMinus)).toEqual([0, 0]);
    expect(Array.from(rbm.visible.params.bias)).toEqual([0.5]);
  });
});

describe('bad input: one line naming the file and the field', () => {
  const good = () => ({
    format: 'rbmlab.rbm/1',
    visible: { type: 'bernoulli', size: 4, bias: [0, 0, 0, 0] },
    hidden: { type: 'relu', size: 3, bias: [0, 0, 0], gamma: [1, 1, 1] },
    weights: [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
    ],
  });
  type Json = ReturnType<typeof good> & Record<string, unknown>;
  const cases: Array<[string, (j: Json) => unknown, string]> = [
    ['not an object', () => [1, 2], 'model.json: expected a JSON object with format, visible, hidden and weights, got an array'],
    ['format missing', (j) => ({ ...j, format: undefined }), 'model.json: format is missing (expected "rbmlab.rbm/1")'],
    ['format not a string', (j) => ({ ...j, format: 1 }), 'model.json: format must be the string "rbmlab.rbm/1", got 1'],
    ['format version', (j) => ({ ...j, format: 'rbmlab.rbm/2' }), 'model.json: unsupported format "rbmlab.rbm/2" (this rbmlab reads rbmlab.rbm/1)'],
    [
      'unknown top-level field',
      (j) => ({ ...j, comment: 'x' }),
      'model.json: unknown field comment (a model file has format, visible, hidden, weights, visibleNames)',
    ],
    ['visible missing', (j) => ({ ...j, visible: undefined }), 'model.json: visible is missing (an object with type, size and parameters)'],
    ['hidden not an object', (j) => ({ ...j, hidden: [] }), 'model.json: hidden must be an object with type, size and parameters, got an array'],
    ['type missing', (j) => ({ ...j, hidden: { size: 3 } }), 'model.json: hidden.type is missing'],
    ['type not a string', (j) => ({ ...j, hidden: { type: 3, size: 3 } }), 'model.json: hidden.type must be a string, got 3'],
    [
      'unknown hidden type',
      (j) => ({ ...j, hidden: { type: 'foo', size: 3 } }),
      'model.json: unknown hidden unit type "foo" (known: bernoulli, spin, gaussian, relu, drelu, poisson, step',
    ],
    [
      'hidden-only type as visible',
      (j) => ({ ...j, visible: { type: 'relu', size: 4 } }),
      'model.json: unknown visible unit type "relu" (known: bernoulli, spin, gaussian',
    ],
    ['size missing', (j) => ({ ...j, hidden: { type: 'relu' } }), 'model.json: hidden.size is missing'],
    ['size zero', (j) => ({ ...j, hidden: { type: 'relu', size: 0 } }), 'model.json: hidden.size must be a positive integer, got 0'],
    ['size negative', (j) => ({ ...j, visible: { type: 'bernoulli', size: -4 } }), 'model.json: visible.size must be a positive integer, got -4'],
    ['size fractional', (j) => ({ ...j, hidden: { type: 'relu', size: 2.5 } }), 'model.json: hidden.size must be a positive integer, got 2.5'],
    ['size a string', (j) => ({ ...j, hidden: { type: 'relu', size: '3' } }), 'model.json: hidden.size must be a positive integer, got the string "3"'],
    [
      'unknown layer field',
      (j) => ({ ...j, visible: { ...j.visible, gamma: [1, 1, 1, 1] } }),
      'model.json: unknown field visible.gamma (bernoulli units have parameters bias)',
    ],
    [
      'bias instead of biasPlus for drelu',
      (j) => ({ ...j, hidden: { type: 'drelu', size: 3, bias: [0, 0, 0] } }),
      'model.json: unknown field hidden.bias (drelu units have parameters gammaPlus, gammaMinus, biasPlus, biasMinus)',
    ],
    [
      'several unknown layer fields',
      (j) => ({ ...j, hidden: { ...j.hidden, foo: 1, bar: 2 } }),
      'model.json: unknown fields hidden.foo, hidden.bar (relu units have parameters bias, gamma)',
    ],
    [
      'param not an array',
      (j) => ({ ...j, hidden: { ...j.hidden, bias: 0 } }),
      'model.json: hidden.bias must be an array of 3 numbers (hidden.size), got 0',
    ],
    ['param too short', (j) => ({ ...j, hidden: { ...j.hidden, gamma: [1, 1] } }), 'model.json: hidden.gamma has 2 entries, expected 3 (hidden.size)'],
    ['param too long', (j) => ({ ...j, visible: { ...j.visible, bias: [0, 0, 0, 0, 0] } }), 'model.json: visible.bias has 5 entries, expected 4 (visible.size)'],
    ['gamma zero', (j) => ({ ...j, hidden: { ...j.hidden, gamma: [1, 1, 0] } }), 'model.json: hidden.gamma[2] must be a finite number > 0'],
    ['gamma negative', (j) => ({ ...j, hidden: { ...j.hidden, gamma: [1, -1, 1] } }), 'model.json: hidden.gamma[1] must be a finite number > 0'],
    ['gamma a string', (j) => ({ ...j, hidden: { ...j.hidden, gamma: [1, '1', 1] } }), 'model.json: hidden.gamma[1] must be a finite number > 0'],
    [
      'drelu gammaMinus negative',
      (j) => ({ ...j, hidden: { type: 'drelu', size: 3, gammaMinus: [1, 1, -2] } }),
      'model.json: hidden.gammaMinus[2] must be a finite number > 0',
    ],
    [
      'gaussian visible gamma zero',
      (j) => ({ ...j, visible: { type: 'gaussian', size: 4, gamma: [1, 0, 1, 1] } }),
      'model.json: visible.gamma[1] must be a finite number > 0',
    ],
    ['bias a string', (j) => ({ ...j, visible: { ...j.visible, bias: [0, '1', 0, 0] } }), 'model.json: visible.bias[1] must be a finite number'],
    ['bias null', (j) => ({ ...j, visible: { ...j.visible, bias: [0, 0, null, 0] } }), 'model.json: visible.bias[2] must be a finite number'],
    ['bias NaN', (j) => ({ ...j, hidden: { ...j.hidden, bias: [NaN, 0, 0] } }), 'model.json: hidden.bias[0] must be a finite number'],
    ['bias Infinity', (j) => ({ ...j, hidden: { ...j.hidden, bias: [0, Infinity, 0] } }), 'model.json: hidden.bias[1] must be a finite number'],
    ['weights missing', (j) => ({ ...j, weights: undefined }), 'model.json: weights is missing (4 rows (visible.size) of 3 numbers (hidden.size))'],
    ['weights flat', (j) => ({ ...j, weights: 5 }), 'model.json: weights must be an array of 4 rows (visible.size) of 3 numbers (hidden.size), got 5'],
    ['weights too few rows', (j) => ({ ...j, weights: j.weights.slice(0, 3) }), 'model.json: weights has 3 rows, expected 4 (visible.size)'],
    [
      'weights row not an array',
      (j) => ({ ...j, weights: [j.weights[0], 7, j.weights[2], j.weights[3]] }),
      'model.json: weights[1] must be an array of 3 numbers (hidden.size), got 7',
    ],
    [
      'weights row too short',
      (j) => ({ ...j, weights: [j.weights[0], j.weights[1], [1], j.weights[3]] }),
      'model.json: weights[2] has 1 entry, expected 3 (hidden.size)',
    ],
    [
      'weights transposed',
      (j) => ({ ...j, weights: [[1, 4, 7, 10], [2, 5, 8, 11], [3, 6, 9, 12]] }),
      'model.json: weights has 3 rows, expected 4 (visible.size)',
    ],
    [
      'weight a string',
      (j) => ({ ...j, weights: [j.weights[0], j.weights[1], j.weights[2], [10, '11', 12]] }),
      'model.json: weights[3][1] must be a finite number',
    ],
    [
      'weight NaN',
      (j) => ({ ...j, weights: [[1, 2, NaN], j.weights[1], j.weights[2], j.weights[3]] }),
      'model.json: weights[0][2] must be a finite number',
    ],
  ];

  test('the good model loads', () => {
    const rbm = rbmFromJSON(good(), 'model.json');
    expect(rbm.numVisible).toBe(4);
    expect(rbm.numHidden).toBe(3);
    expect(rbm.weight(3, 1)).toBe(11);
  });

  for (const [name, edit, message] of cases) {
    test(name, () => {
      let caught: unknown;
      try {
        rbmFromJSON(edit(good() as Json), 'model.json');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ModelFileError);
      const text = (caught as Error).message;
      expect(text).not.toMatch(/\n/);
      if (message.endsWith(')')) expect(text).toBe(message);
      else expect(text.startsWith(message)).toBe(true); // lists that may grow (registered types)
    });
  }

  test('default source name when none is given', () => {
    expect(() => rbmFromJSON({ format: 'x' })).toThrow('model: unsupported format "x" (this rbmlab reads rbmlab.rbm/1)');
  });

  test('missing file', () => {
    const file = path.join(dir, 'no-such-model.json');
    expect(() => loadRbm(file)).toThrow(new ModelFileError(file, 'cannot read file (ENOENT)'));
    expect(() => loadRbm(file)).toThrow(`${file}: cannot read file (ENOENT)`);
  });

  test('a directory', () => {
    expect(() => loadRbm(dir)).toThrow(`${dir}: cannot read file (EISDIR)`);
  });

  test('malformed JSON is one line', () => {
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{\n  "format": "rbmlab.rbm/1",\n  "visible": {\n}\n}}\n');
    let message = '';
    try {
      loadRbm(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ModelFileError);
      message = (err as Error).message;
    }
    expect(message.startsWith(`${file}: not valid JSON (`)).toBe(true);
    expect(message).not.toMatch(/\n/);
  });

  test('empty file', () => {
    const file = path.join(dir, 'empty.json');
    fs.writeFileSync(file, '');
    expect(() => loadRbm(file)).toThrow(`${file}: not valid JSON (Unexpected end of JSON input)`);
  });

  test('field errors from a file name the path as given', () => {
    const file = path.join(dir, 'v2.json');
    fs.writeFileSync(file, JSON.stringify({ ...good(), format: 'rbmlab.rbm/2' }));
    expect(() => loadRbm(file)).toThrow(`${file}: unsupported format "rbmlab.rbm/2" (this rbmlab reads rbmlab.rbm/1)`);
  });
});

describe('what cannot be saved', () => {
  test('an unregistered custom unit type', () => {
    const unit = cumulantUnit({ name: 'softsquare', cumulant: (x) => (x * x) / 2, activation: (x) => x });
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), unit(3), new Float64Array(6));
    const file = path.join(dir, 'custom.json');
    expect(() => saveRbm(file, rbm)).toThrow(
      `${file}: cannot save hidden units of type "softsquare": the type is not registered (custom units can be saved once registered with registerUnitType)`,
    );
    expect(() => rbmToJSON(rbm)).toThrow(ModelFileError);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('a custom layer that borrows a built-in name', () => {
    const impostor = cumulantUnit({ name: 'relu', cumulant: (x) => Math.max(0, x), activation: (x) => (x > 0 ? 1 : 0) });
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), impostor(3), new Float64Array(6));
    expect(() => rbmToJSON(rbm)).toThrow('model: cannot save hidden units of type "relu": the layer is not the registered "relu" unit type');
  });

  test('non-finite parameters', () => {
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('bernoulli', 3), new Float64Array(6));
    rbm.weights[4] = NaN;
    const file = path.join(dir, 'nan.json');
    expect(() => saveRbm(file, rbm)).toThrow(`${file}: cannot save: weights[1][1] is NaN (model files hold finite numbers)`);
    expect(fs.existsSync(file)).toBe(false);
    rbm.weights[4] = 0;
    rbm.hidden.params.bias[2] = -Infinity;
    expect(() => rbmToJSON(rbm)).toThrow('model: cannot save: hidden.bias[2] is -Infinity (model files hold finite numbers)');
  });

  test('a directory that does not exist', () => {
    const rbm = new RBM(createLayer('bernoulli', 2, {}, 'visible'), createLayer('bernoulli', 3), new Float64Array(6));
    const file = path.join(dir, 'missing-dir', 'model.json');
    expect(() => saveRbm(file, rbm)).toThrow(`${file}: cannot write file (ENOENT)`);
    expect(fs.existsSync(path.join(dir, 'missing-dir'))).toBe(false);
  });
});

describe('visible unit names (the data columns a model was trained on)', () => {
  const rbm = () => new RBM(createLayer('bernoulli', 3, undefined, 'visible'), createLayer('bernoulli', 2), new Float64Array(6));
  test('written when given, read back by loadModelFile, absent otherwise', () => {
    const file = path.join(os.tmpdir(), `rbmlab-names-${process.pid}.json`);
    try {
      saveRbm(file, rbm(), { visibleNames: ['a', 'b,c', 'd'] });
      const loaded = loadModelFile(file);
      expect(loaded.kind === 'rbm' && loaded.visibleNames).toEqual(['a', 'b,c', 'd']);
      expect(rbmToJSON(loadRbm(file)).visibleNames).toBeUndefined();
      saveRbm(file, rbm());
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).visibleNames).toBeUndefined();
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
  test('refused unless N distinct non-empty strings', () => {
    const json = rbmToJSON(rbm()) as unknown as Record<string, unknown>;
    expect(() => rbmFromJSON({ ...json, visibleNames: ['a', 'b'] }, 'm.json')).toThrow(new ModelFileError('m.json', 'visibleNames must be an array of 3 names (one per visible unit), got 2'));
    expect(() => rbmFromJSON({ ...json, visibleNames: ['a', 'b', 'a'] }, 'm.json')).toThrow(/m\.json: visibleNames\[2\]: the name "a" appears twice/);
    expect(() => rbmFromJSON({ ...json, visibleNames: ['a', '', 'c'] }, 'm.json')).toThrow(/visibleNames\[1\] must be a non-empty string/);
    expect(() => saveRbm('never-written.json', rbm(), { visibleNames: ['x'] })).toThrow(ModelFileError);
    expect(fs.existsSync('never-written.json')).toBe(false);
  });
});
