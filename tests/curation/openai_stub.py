"""A minimal OpenAI-compatible HTTP server on 127.0.0.1 for the labeler and embedding tests.

`chat` maps the last user message to the assistant's reply text; `embed` maps an input text to a vector.
`fault` sees each request body and may answer with an HTTP error status instead (429 comes with Retry-After: 0).
Every request body is logged so tests can see what was asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.http_stub import JsonHandler, chat_completion, serve


@contextmanager
def openai_stub(
    chat: Callable[[str], str] | None = None,
    embed: Callable[[str], list[float]] | None = None,
    fault: Callable[[dict], int | None] | None = None,
) -> Iterator[tuple[str, list[dict]]]:
    log: list[dict] = []

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            body = self.read_json()
            log.append({"path": self.path, **body})
            status = fault(body) if fault is not None else None
            if status is not None:
                self.send_response(status)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.endswith("/chat/completions") and chat is not None:
                reply = chat_completion(body["model"], chat(body["messages"][-1]["content"]))
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
            self.send_json(200, reply)

    with serve(Handler) as url:
        yield url, log
