#!/usr/bin/env python3
"""A webhook receiver for the tests: an HTTP server on 127.0.0.1 that
logs every request and answers by path.

  receiver.py PORT_FILE LOG_FILE

It binds a free loopback port and writes it to PORT_FILE. Each request is
appended to LOG_FILE as one JSON line {"method", "path", "headers",
"body"}, then answered: /status/NNN with status NNN, /hang never (the
connection is held open), anything else 200.
"""
import http.server
import json
import os
import sys
import threading

PORT_FILE, LOG_FILE = sys.argv[1], sys.argv[2]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        rec = {"method": "POST", "path": self.path,
               "headers": {k: v for k, v in self.headers.items()},
               "body": body}
        with lock, open(LOG_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        if self.path.startswith("/hang"):
            threading.Event().wait()
        status = 200
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2])
        reply = ("status %d\n" % status).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w", encoding="ascii") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
