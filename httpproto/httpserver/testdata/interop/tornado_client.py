"""Tornado's AsyncHTTPClient (simple_httpclient) against gale servers.

Usage: tornado_client.py BASE_URL GZIP_BASE_URL PAYLOAD_FILE

BASE_URL is a plain server, GZIP_BASE_URL one with gzip on. Prints a JSON
list with one object per exchange (name, status, error, headers with
lower-case names, body length, sha256 and first bytes, and for a streamed
fetch the number of streaming_callback calls); interop_test.go judges them.
"""
import asyncio
import hashlib
import json
import sys

from tornado.httpclient import AsyncHTTPClient, HTTPRequest


async def main():
    base, gzip_base, payload_path = sys.argv[1:4]
    with open(payload_path, "rb") as f:
        payload = f.read()
    client = AsyncHTTPClient(force_instance=True)
    results = []

    async def exchange(name, url, streamed=False, **kw):
        chunks = []
        if streamed:
            kw["streaming_callback"] = chunks.append
        req = HTTPRequest(url, connect_timeout=10, request_timeout=10, **kw)
        resp = await client.fetch(req, raise_error=False)
        data = b"".join(chunks) if streamed else (resp.body or b"")
        hdrs = {}
        for k, v in resp.headers.get_all():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        results.append({
            "name": name,
            "status": resp.code,
            "error": str(resp.error) if resp.error else "",
            "headers": hdrs,
            "len": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "body": data[:100].decode("latin-1"),
            "chunks": len(chunks),
        })

    async def produce(write):
        # No Content-Length: Tornado sends the body chunked.
        third = len(payload) // 3
        for piece in (payload[:third], payload[third:2 * third], payload[2 * third:]):
            await write(piece)

    await exchange("get", base + "/plaintext")
    await exchange("post", base + "/echo", method="POST", body=payload)
    await exchange("chunked", base + "/echo", method="POST", body_producer=produce)
    await exchange("expect", base + "/echo", method="POST", body=payload,
                   expect_100_continue=True)
    await exchange("stream", base + "/stream", streamed=True)
    await exchange("head", base + "/plaintext", method="HEAD")
    # decompress_response is on by default: Tornado asks for gzip, inflates,
    # and moves Content-Encoding to X-Consumed-Content-Encoding.
    await exchange("gzip", gzip_base + "/gzip")
    client.close()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
