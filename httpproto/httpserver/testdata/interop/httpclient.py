"""Python's http.client against a gale server, on one kept-alive connection.

Usage: httpclient.py HOST:PORT PAYLOAD_FILE

Prints a JSON list with one object per exchange (name, status, headers with
lower-case names, body length, sha256 and first bytes, the client's local
port); interop_test.go judges them. Exits non-zero only if the client itself
fails.
"""
import hashlib
import http.client
import json
import sys


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    with open(sys.argv[2], "rb") as f:
        payload = f.read()
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    results = []

    def exchange(name, method, path, body=None, headers=None, **kw):
        conn.request(method, path, body=body, headers=headers or {}, **kw)
        local_port = conn.sock.getsockname()[1]
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {}
        for k, v in resp.getheaders():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        results.append({
            "name": name,
            "status": resp.status,
            "headers": hdrs,
            "len": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "body": data[:100].decode("latin-1"),
            "port": local_port,
        })

    exchange("get", "GET", "/plaintext")
    exchange("post", "POST", "/echo", body=payload)
    third = len(payload) // 3
    pieces = [payload[:third], payload[third:2 * third], payload[2 * third:]]
    exchange("chunked", "POST", "/echo", body=iter(pieces),
             headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
    # http.client does not wait for 100 Continue: the body follows the head
    # at once, and a 100 the server still sends must be skipped.
    exchange("expect", "POST", "/echo", body=payload,
             headers={"Expect": "100-continue"})
    exchange("stream", "GET", "/stream")
    exchange("head", "HEAD", "/plaintext")
    exchange("get-after-head", "GET", "/plaintext")
    conn.close()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
