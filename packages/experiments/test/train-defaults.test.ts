/**
 * `rbmlab train` with every default learns (issue 17): on Bars-and-Stripes 3x3 and on 300 MNIST
 * digits its exact log-likelihood ends well above that of independent pixels (the model it
 * starts from: W ~ 0, visible biases from the data), where the former defaults (sgd, lr 0.01,
 * batch 100, 10 epochs) stayed on it; the training log and curve are written beside the model;
 * a run that does not learn gets the warning; off a terminal about 20 progress lines.
 * Deterministic (seed 0): the margins are the measured gains less a safety factor of 2 or more.
 */
import * as fs from 'fs';
import { barsAndStripes, type Dataset } from '@rbmlab/core';
import { loadMnist } from '../src/data/mnist';
import { rbmlab, temporaryDirectory } from './helpers/cli';

const { file } = temporaryDirectory('rbmlab-train-defaults-');

function writeCsv(name: string, ds: Dataset): string {
  const lines: string[] = [];
  for (let r = 0; r < ds.rows; r++) lines.push(Array.from(ds.data.subarray(r * ds.cols, (r + 1) * ds.cols)).join(','));
  fs.writeFileSync(file(name), lines.join('\n') + '\n');
  return file(name);
}

/** Mean log-likelihood of the rows under independent bernoulli pixels at their frequencies (clipped as train clips). */
function independentPixels(ds: Dataset): number {
  let total = 0;
  for (let i = 0; i < ds.cols; i++) {
    let count = 0;
    for (let r = 0; r < ds.rows; r++) count += ds.data[r * ds.cols + i];
    const p = Math.min(0.999, Math.max(0.001, count / ds.rows));
    total += (count * Math.log(p) + (ds.rows - count) * Math.log(1 - p)) / ds.rows;
  }
  return total;
}

async function evalLoglik(model: string, data: string): Promise<number> {
  const run = await rbmlab('eval', model, '--data', data, '--json');
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result.method).toBe('exact');
  return result.loglik;
}

describe('rbmlab train with its defaults', () => {
  test('Bars-and-Stripes: from independent pixels (-6.24) to above -5.2 (measured -4.14); the old defaults stay at -6.24 and are warned about', async () => {
    const bas = barsAndStripes(3);
    const data = writeCsv('bas.csv', bas);
    const baseline = independentPixels(bas);
    const run = await rbmlab('train', '--data', data, '--size', '8', '--out', file('bas.json'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2000 epochs of pcd/);
    expect(run.stderr).not.toMatch(/warning/);
    // about 20 progress lines off a terminal, not 2000
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('rbmlab train epoch'));
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(lines.length).toBeLessThanOrEqual(22);
    expect(lines[lines.length - 1]).toMatch(/^rbmlab train epoch 2000\/2000 /);
    expect(await evalLoglik(file('bas.json'), data)).toBeGreaterThan(baseline + 1);

    const old = await rbmlab('train', '--data', data, '--size', '8', '--out', file('old.json'), '--optimizer', 'sgd', '--batch', '100', '--epochs', '10');
    expect(old.code).toBe(0);
    expect(old.stderr).toMatch(/^rbmlab train: warning: loglik has not improved in 10 epochs \(-6\.2\d+ at epoch 1, best -6\.2\d+\): the model may not be learning/m);
    expect(Math.abs((await evalLoglik(file('old.json'), data)) - baseline)).toBeLessThan(0.05);
  });

  test('300 MNIST digits, 16 hidden units: above independent pixels by 2 nats (measured 3.7); the old defaults by under 0.5', async () => {
    const mnist = loadMnist({ count: 300 });
    const data = writeCsv('mnist.csv', mnist);
    const baseline = independentPixels(mnist);
    const run = await rbmlab('train', '--data', data, '--size', '16', '--out', file('mnist.json'), '--metric', 'recon');
    expect(run.code).toBe(0);
    expect(await evalLoglik(file('mnist.json'), data)).toBeGreaterThan(baseline + 2);
    const old = await rbmlab('train', '--data', data, '--size', '16', '--out', file('mnist-old.json'), '--metric', 'recon', '--optimizer', 'sgd', '--batch', '100', '--epochs', '10', '--no-plots');
    expect(old.code).toBe(0);
    expect(await evalLoglik(file('mnist-old.json'), data)).toBeLessThan(baseline + 0.5);
  });

  test('the training log: one row per epoch with the metric, seconds and learning rate, and its curve', async () => {
    const log = fs.readFileSync(file('bas.train.csv'), 'utf8').trim().split('\n');
    expect(log[0]).toBe('epoch,seconds,samples_per_s,learning_rate,loglik');
    expect(log).toHaveLength(2001);
    const last = log[2000].split(',').map(Number);
    expect(last[0]).toBe(2000);
    expect(last[3]).toBe(0.01);
    expect(last[4]).toBeGreaterThan(-5.2);
    for (const ext of ['svg', 'png', 'vl.json']) expect(fs.existsSync(file(`bas.train.${ext}`))).toBe(true);
    const spec = JSON.parse(fs.readFileSync(file('bas.train.vl.json'), 'utf8'));
    expect(spec.data.values).toHaveLength(2000);
    // --no-plots: the log only
    expect(fs.existsSync(file('mnist-old.train.csv'))).toBe(true);
    expect(fs.existsSync(file('mnist-old.train.svg'))).toBe(false);
  });
});
