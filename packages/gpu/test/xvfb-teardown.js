/** jest globalTeardown: stops the Xvfb that xvfb-setup.js started, if any. */
'use strict';
const { stopXvfb } = require('../scripts/xvfb');

module.exports = stopXvfb;
