"""A scripted OpenAI-compatible server for the LLM mode's logic tests (real HTTP, real client).

``FakeLLM`` serves ``/v1/chat/completions`` (streamed or not) and ``/v1/models`` on a free
loopback port, replying what the test scripts: a text (``reply``), an HTTP status, a body that
is not JSON, or a delay. Every request it receives is kept in ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLM:
    def __init__(self):
        self.reply = "Not in the sources."
        self.replies: list[str] = []  # taken in order before ``reply``
        self.status = 200
        self.garbage = False
        self.delay = 0.0
        self.model = "fake-model"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._json(200, {"object": "list", "data": [{"id": fake.model,
                                                             "object": "model"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                time.sleep(fake.delay)
                if fake.status != 200:
                    return self._json(fake.status, {"error": {"message": "scripted failure"}})
                if body.get("model") != fake.model:
                    return self._json(404, {"error": {"message": "model not found"}})
                if fake.garbage:
                    return self._raw(200, b"<html>this is not JSON</html>", "text/html")
                text = fake.replies.pop(0) if fake.replies else fake.reply
                if body.get("stream"):
                    return self._stream(text)
                self._json(200, {"id": "x", "object": "chat.completion", "created": 0,
                                 "model": fake.model, "choices": [{
                                     "index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": text}}]})

            def _stream(self, text: str):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
                for p in pieces:
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0,
                             "model": fake.model, "choices": [{
                                 "index": 0, "delta": {"content": p}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def _json(self, status: int, obj: dict):
                self._raw(status, json.dumps(obj).encode(), "application/json")

            def _raw(self, status: int, data: bytes, ctype: str):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client that timed out
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
