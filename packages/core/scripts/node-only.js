/**
 * esbuild plugins for browser builds of rbmlab. nodeOnlyStubs: for browser builds of rbmlab (core's scripts/build-entries.js, the gpu
 * package's browser/build.js): modules a page cannot have (Node's built-ins, the native addon)
 * resolve to a stub that throws, naming the module and the function, if anything calls it; so
 * code that only touches them on Node-only paths (model files, the addon's loader) bundles and
 * runs, and code that needs them fails loudly rather than silently.
 */
'use strict';

/**
 * @param {RegExp} filter the module names to stub
 * @param {string} what the build, for the error message ("the browser bundle of rbmlab")
 * @returns {import('esbuild').Plugin}
 */
function nodeOnlyStubs(filter, what) {
  return {
    name: 'node-only',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'node-only' }));
      build.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
        loader: 'js',
        contents: `
          const name = ${JSON.stringify(args.path)};
          module.exports = new Proxy({}, {
            get(_, key) {
              if (typeof key === 'symbol' || key === '__esModule' || key === 'then') return undefined;
              return () => { throw new Error(name + '.' + String(key) + ' is not available in ${what}'); };
            },
          });`,
      }));
    },
  };
}

/**
 * @rbmlab/core and @rbmlab/gpu (and their subpaths) from their TypeScript sources, as jest.config.js
 * maps them, so a browser build needs no `tsc -b` first.
 * @param {string} packages the repository's packages/ folder
 * @returns {import('esbuild').Plugin}
 */
function rbmlabSources(packages) {
  const path = require('path');
  const fs = require('fs');
  return {
    name: 'rbmlab-sources',
    setup(build) {
      build.onResolve({ filter: /^@rbmlab\/(core|gpu)(\/.*)?$/ }, (args) => {
        const [, name, sub] = /^@rbmlab\/(core|gpu)(\/.*)?$/.exec(args.path);
        const base = path.join(packages, name, 'src', sub === undefined ? 'index' : sub.slice(1));
        for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
          if (fs.existsSync(candidate)) return { path: candidate };
        }
        return { errors: [{ text: `cannot find the source of ${args.path} (tried ${base}.ts and ${base}/index.ts)` }] };
      });
    },
  };
}

module.exports = { nodeOnlyStubs, rbmlabSources };
