"""A minimal OpenAI-compatible HTTP server on 127.0.0.1 for the labeler and embedding tests.

`chat` maps the last user message to the assistant's reply text; `embed` maps an input text to a vector.
`fault` sees each request body and may answer with an HTTP error status instead (429 comes with Retry-After: 0).
Every request body is logged so tests can see what was asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def openai_stub(
    chat: Callable[[str], str] | None = None,
    embed: Callable[[str], list[float]] | None = None,
    fault: Callable[[dict], int | None] | None = None,
) -> Iterator[tuple[str, list[dict]]]:
    log: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            log.append({"path": self.path, **body})
            status = fault(body) if fault is not None else None
            if status is not None:
                self.send_response(status)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.endswith("/chat/completions") and chat is not None:
                text = chat(body["messages"][-1]["content"])
                reply = {
                    "id": "stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            elif self.path.endswith("/embeddings") and embed is not None:
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                reply = {
                    "object": "list",
                    "model": body["model"],
                    "data": [{"object": "embedding", "index": i, "embedding": embed(t)} for i, t in enumerate(inputs)],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }
            else:
                self.send_error(404)
                return
            payload = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", log
    finally:
        server.shutdown()
        server.server_close()
