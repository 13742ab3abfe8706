/**
 * Imported first by the worker (lab/worker.ts), so that Node 20's elementary functions
 * (./node-math.ts) are on Math before any rbmlab module runs: module constants such as
 * log(pi) are then computed by them too.
 */
import { installNodeMath } from './node-math';

installNodeMath();
