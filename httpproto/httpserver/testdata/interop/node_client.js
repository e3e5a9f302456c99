// Node's http client against a gale server, through an http.Agent with
// keepAlive (one socket, reused by every request).
//
// Usage: node node_client.js HOST:PORT PAYLOAD_FILE
//
// Prints a JSON list with one object per exchange (name, status, headers
// with lower-case names, body length, sha256 and first bytes, local port,
// whether the socket was reused, the number of 'data' events);
// interop_test.go judges them.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const [addr, payloadPath] = process.argv.slice(2);
const sep = addr.lastIndexOf(':');
const host = addr.slice(0, sep);
const port = Number(addr.slice(sep + 1));
const payload = fs.readFileSync(payloadPath);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function exchange(name, options, send) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, agent, timeout: 10000, ...options }, (res) => {
      const chunks = [];
      const localPort = res.socket.localPort; // the socket is released at 'end'
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = {};
        for (const [k, v] of Object.entries(res.headers)) {
          headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        resolve({
          name,
          status: res.statusCode,
          headers,
          len: body.length,
          sha256: crypto.createHash('sha256').update(body).digest('hex'),
          body: body.subarray(0, 100).toString('latin1'),
          port: localPort,
          reused: req.reusedSocket,
          chunks: chunks.length,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${name}: timed out`)));
    req.on('error', reject);
    send(req);
  });
}

async function main() {
  const third = Math.floor(payload.length / 3);
  const results = [];
  results.push(await exchange('get', { path: '/plaintext' }, (req) => req.end()));
  results.push(await exchange('post', {
    method: 'POST', path: '/echo', headers: { 'Content-Length': payload.length },
  }, (req) => req.end(payload)));
  // Two writes and no Content-Length: Node sends the body chunked.
  results.push(await exchange('chunked', { method: 'POST', path: '/echo' }, (req) => {
    req.write(payload.subarray(0, third));
    req.write(payload.subarray(third, 2 * third));
    req.end(payload.subarray(2 * third));
  }));
  // The body waits for the server's 100 Continue ('continue' event).
  results.push(await exchange('expect', {
    method: 'POST',
    path: '/echo',
    headers: { 'Content-Length': payload.length, Expect: '100-continue' },
  }, (req) => req.on('continue', () => req.end(payload))));
  results.push(await exchange('stream', { path: '/stream' }, (req) => req.end()));
  results.push(await exchange('head', { method: 'HEAD', path: '/plaintext' }, (req) => req.end()));
  results.push(await exchange('get-after-head', { path: '/plaintext' }, (req) => req.end()));
  agent.destroy();
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  agent.destroy();
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
