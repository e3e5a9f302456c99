// The interop messages of messages.json, built the same way as ws_client.py
// builds them (strings for text, Buffers for binary). Shared by the Node
// client and, inlined by the test server, the browser page.
'use strict';
function buildMessages(spec) {
  return spec.messages.map((m, i) => {
    if (m.kind === 'text') {
      if (m.repeat === undefined) return m.text;
      // Python slices by code point; do the same (the 😀 is two UTF-16 units).
      const unit = Array.from(m.repeat);
      const out = [];
      for (let j = 0; j < m.size; j++) out.push(unit[j % unit.length]);
      return out.join('');
    }
    const b = new Uint8Array(m.size);
    for (let j = 0; j < m.size; j++) b[j] = (j * 7 + i) & 0xff;
    return b;
  });
}
if (typeof module !== 'undefined') module.exports = { buildMessages };
