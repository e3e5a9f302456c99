// Interop WebSocket client for gale's tests (Node's ws package):
//   node ws_client.js URL COMPRESS
// Sends every message of messages.json, checks each echo (content and
// type), closes with 1000 "bye" and prints one JSON line
// {"ok":true,"count":N,"extensions":"..."}; on failure {"ok":false,...}
// and exit code 1.
'use strict';
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');
const { buildMessages } = require('./messages.js');

const [url, compress] = process.argv.slice(2);
const msgs = buildMessages(JSON.parse(fs.readFileSync(path.join(__dirname, 'messages.json'))));
const ws = new WebSocket(url, { perMessageDeflate: compress === 'on', maxPayload: 16 << 20 });
let i = 0;
let ext = '';
function fail(err) {
  console.log(JSON.stringify({ ok: false, error: String(err) }));
  process.exit(1);
}
function sendNext() {
  const m = msgs[i];
  ws.send(m, { binary: typeof m !== 'string' });
}
ws.on('upgrade', (res) => { ext = res.headers['sec-websocket-extensions'] || ''; });
ws.on('open', sendNext);
ws.on('message', (data, isBinary) => {
  const m = msgs[i];
  if (typeof m === 'string') {
    if (isBinary) return fail(`message ${i}: text came back binary`);
    if (data.toString('utf8') !== m) return fail(`message ${i}: text differs`);
  } else {
    if (!isBinary) return fail(`message ${i}: binary came back text`);
    if (!Buffer.from(m).equals(data)) return fail(`message ${i}: ${m.length} bytes came back as ${data.length} different bytes`);
  }
  i++;
  if (i < msgs.length) sendNext();
  else ws.close(1000, 'bye');
});
ws.on('close', (code) => {
  if (i < msgs.length) return fail(`closed early with ${code}`);
  if (code !== 1000) return fail(`close code ${code}`);
  console.log(JSON.stringify({ ok: true, count: msgs.length, extensions: ext }));
});
ws.on('error', fail);
setTimeout(() => fail('timed out'), 15000).unref();
