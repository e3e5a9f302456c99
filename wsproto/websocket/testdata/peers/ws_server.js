// Interop WebSocket echo server for gale's tests (Node's ws package):
//   node ws_server.js COMPRESS
// Listens on 127.0.0.1 on a free port, prints "port N", echoes every
// message with its type, prints "close CODE REASON" per closed connection,
// and exits when stdin closes.
'use strict';
const { WebSocketServer } = require('ws');

const compress = process.argv[2] === 'on';
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: compress, maxPayload: 16 << 20 });
wss.on('listening', () => console.log(`port ${wss.address().port}`));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code, reason) => console.log(`close ${code} ${reason.toString()}`));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
