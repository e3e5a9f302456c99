# A Tornado HTTPServer for gale's client interop tests: prints its port,
# then serves until stdin closes. /hello, /echo (any method: the body
# back), /big (gzip-compressed when asked, through compress_response).
# X-Conn names the connection, so the test can see keep-alive reuse.
import asyncio
import sys

import tornado.httpserver
import tornado.netutil
import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.set_header("X-Conn", str(id(self.request.connection.stream)))
        self.write("Hello from Tornado")


class Echo(tornado.web.RequestHandler):
    def _echo(self):
        self.set_header("X-Conn", str(id(self.request.connection.stream)))
        self.set_header("X-TE", self.request.headers.get("Transfer-Encoding", ""))
        self.set_header("Content-Type", "application/octet-stream")
        self.write(self.request.body)

    post = put = _echo


class Big(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write("tornado " * 5000)


async def main():
    app = tornado.web.Application(
        [("/hello", Hello), ("/echo", Echo), ("/big", Big)], compress_response=True
    )
    server = tornado.httpserver.HTTPServer(app)
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    print(sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.stop()


asyncio.run(main())
