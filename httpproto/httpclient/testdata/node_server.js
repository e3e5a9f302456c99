// A Node http server for gale's client interop tests: prints its port,
// then serves until stdin closes. /hello, /echo (the body back), /big
// (gzip-compressed when asked). X-Conn names the connection.
const http = require("http");
const zlib = require("zlib");

let nextConn = 0;
const server = http.createServer((req, res) => {
  if (req.socket.galeId === undefined) req.socket.galeId = ++nextConn;
  res.setHeader("X-Conn", String(req.socket.galeId));
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (req.url === "/hello") {
      res.end("Hello from Node");
    } else if (req.url === "/echo") {
      res.setHeader("X-TE", req.headers["transfer-encoding"] || "");
      res.end(Buffer.concat(chunks));
    } else if (req.url === "/big") {
      const body = Buffer.from("node ".repeat(5000));
      if (/\bgzip\b/.test(req.headers["accept-encoding"] || "")) {
        res.setHeader("Content-Encoding", "gzip");
        res.end(zlib.gzipSync(body));
      } else {
        res.end(body);
      }
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(server.address().port + "\n");
});
process.stdin.on("end", () => {
  server.close();
  server.closeAllConnections();
});
process.stdin.resume();
