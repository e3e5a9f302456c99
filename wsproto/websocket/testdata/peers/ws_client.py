"""Interop WebSocket client for gale's tests: ws_client.py LIB URL COMPRESS.

LIB is "websockets" or "tornado"; COMPRESS is "on" (offer permessage-deflate)
or "off". It sends every message of messages.json in turn, checks that each
comes back unchanged with its type, then closes with 1000 "bye" and prints
one JSON line: {"ok": true, "count": N, "extensions": "..."}. Any failure
prints {"ok": false, "error": "..."} and exits 1.
"""
import asyncio
import json
import os
import sys


def load_messages():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "messages.json")) as f:
        spec = json.load(f)["messages"]
    out = []
    for i, m in enumerate(spec):
        if m["kind"] == "text":
            if "repeat" in m:
                unit = m["repeat"]
                s = (unit * (m["size"] // len(unit) + 1))[: m["size"]]
            else:
                s = m["text"]
            out.append(s)
        else:
            # Deterministic bytes covering every value, different per message.
            out.append(bytes((j * 7 + i) & 0xFF for j in range(m["size"])))
    return out


async def run_websockets(url, compress, msgs):
    import websockets

    async with websockets.connect(
        url, compression="deflate" if compress else None, max_size=16 << 20
    ) as ws:
        ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        for m in msgs:
            await ws.send(m)
            got = await asyncio.wait_for(ws.recv(), 15)
            check(m, got)
        await ws.close(code=1000, reason="bye")
        if ws.close_code != 1000:
            raise AssertionError("close code %r" % ws.close_code)
        return ext


async def run_tornado(url, compress, msgs):
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(
        url, compression_options={} if compress else None, max_message_size=16 << 20
    )
    ext = conn.headers.get("Sec-WebSocket-Extensions", "")
    for m in msgs:
        await conn.write_message(m, binary=isinstance(m, bytes))
        got = await asyncio.wait_for(conn.read_message(), 15)
        if got is None:
            raise AssertionError("connection closed early: %r" % conn.close_code)
        check(m, got)
    conn.close(1000, "bye")
    # read_message returns None once the server's close frame arrived.
    while (await asyncio.wait_for(conn.read_message(), 15)) is not None:
        pass
    if conn.close_code != 1000:
        raise AssertionError("close code %r" % conn.close_code)
    return ext


def check(sent, got):
    if type(sent) is not type(got):
        raise AssertionError("type %s came back as %s" % (type(sent).__name__, type(got).__name__))
    if sent != got:
        raise AssertionError("message of %d came back as %d different bytes" % (len(sent), len(got)))


def main():
    lib, url, compress = sys.argv[1], sys.argv[2], sys.argv[3] == "on"
    msgs = load_messages()
    try:
        run = run_websockets if lib == "websockets" else run_tornado
        ext = asyncio.run(run(url, compress, msgs))
    except Exception as e:  # report every failure the same way
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(1)
    print(json.dumps({"ok": True, "count": len(msgs), "extensions": ext}))


main()
