"""Interop WebSocket echo server for gale's tests: ws_server.py LIB COMPRESS.

LIB is "websockets" or "tornado"; COMPRESS "on" accepts permessage-deflate.
It listens on 127.0.0.1 on a free port, prints "port N", echoes every
message with its type, and prints "close CODE REASON" for each connection the
client closes. It runs until stdin is closed.
"""
import asyncio
import sys


async def main():
    lib, compress = sys.argv[1], sys.argv[2] == "on"
    if lib == "websockets":
        import websockets

        async def echo(ws, path=None):
            try:
                async for m in ws:
                    await ws.send(m)
            except websockets.ConnectionClosed:
                pass
            print("close %s %s" % (ws.close_code, ws.close_reason), flush=True)

        server = await websockets.serve(
            echo, "127.0.0.1", 0, compression="deflate" if compress else None, max_size=16 << 20
        )
        port = server.sockets[0].getsockname()[1]
    else:
        import tornado.web
        import tornado.websocket

        class Echo(tornado.websocket.WebSocketHandler):
            def get_compression_options(self):
                return {} if compress else None

            def on_message(self, m):
                self.write_message(m, binary=isinstance(m, bytes))

            def on_close(self):
                print("close %s %s" % (self.close_code, self.close_reason), flush=True)

        app = tornado.web.Application([(r"/ws", Echo)], websocket_max_message_size=16 << 20)
        srv = app.listen(0, "127.0.0.1")
        port = list(srv._sockets.values())[0].getsockname()[1]
    print("port %d" % port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
