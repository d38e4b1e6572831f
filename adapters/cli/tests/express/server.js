// express-rate-limit as headroom's third-party peer (see ../express_interop.rs).
//
// One app per header mode -- draft-6, draft-7, draft-8 and legacy X-RateLimit-* -- each with
// two stacked limiters, "minute" then "day", on windows scaled down for tests. Prints one JSON
// line on stdout, {"mode": port, ...}, once every app listens, then serves until killed.
'use strict';
const express = require('express');
const { rateLimit } = require('express-rate-limit');

const MINUTE = { limit: Number(process.env.MINUTE_LIMIT || 6), windowMs: Number(process.env.MINUTE_MS || 8000) };
const DAY = { limit: Number(process.env.DAY_LIMIT || 15), windowMs: Number(process.env.DAY_MS || 24000) };
const MODES = ['draft-6', 'draft-7', 'draft-8', 'legacy'];

function limiter(mode, name, { limit, windowMs }) {
  return rateLimit({
    windowMs,
    limit,
    identifier: name, // the policy's name in draft-8 headers
    standardHeaders: mode === 'legacy' ? false : mode,
    legacyHeaders: mode === 'legacy',
    // One quota per API key, as SynthLink counts per identity; every test client is on loopback.
    keyGenerator: (req) => req.get('authorization') || 'anonymous',
  });
}

function app(mode) {
  const a = express();
  a.use(limiter(mode, 'minute', MINUTE));
  a.use(limiter(mode, 'day', DAY));
  a.get('/v1/records', (req, res) => res.json({ mode, data: [] }));
  return a;
}

Promise.all(
  MODES.map(
    (mode) =>
      new Promise((resolve, reject) => {
        const server = app(mode).listen(0, '127.0.0.1', () => resolve([mode, server.address().port]));
        server.on('error', reject);
      }),
  ),
).then(
  (ports) => console.log(JSON.stringify(Object.fromEntries(ports))),
  (err) => {
    console.error(`express peer: ${err}`);
    process.exit(1);
  },
);
