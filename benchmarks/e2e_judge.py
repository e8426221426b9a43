"""A stand-in LLM judge on 127.0.0.1 for `benchmarks/e2e.py --judge`: an OpenAI-compatible
`POST /v1/chat/completions` that answers at once. Not part of the test suite.

Without a judge, general problems (47% of the AM mix) are never accepted, so the release holds only math and
code. With this judge the release and the audits see the paper's volume. Answers are deterministic per request
body: the rubric (`{"correctness", "helpfulness", "coherence"}`) passes 90% of responses, the math second
opinion (`{"equivalent": …}`) overturns 10% of math-verify's mismatches. In production the judge is a GPU
server elsewhere: this process's CPU is reported apart from the jobs'.

    python benchmarks/e2e_judge.py [--port 0]      # prints the port, serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib

import orjson

PASS_SHARE = 0.9
OVERTURN_SHARE = 0.1


def reply_text(body: dict) -> str:
    """The judge's reply for a chat request: equivalence JSON for the math prompt, else rubric JSON."""
    messages = body.get("messages", [])
    system = next((m.get("content", "") for m in messages if m.get("role") == "system"), "")
    digest = hashlib.blake2b(orjson.dumps(messages), digest_size=8).digest()
    draw = int.from_bytes(digest, "big") / 2**64
    if "equivalent" in system:
        return orjson.dumps({"equivalent": draw < OVERTURN_SHARE, "rationale": "stand-in judge"}).decode()
    points = 4 if draw < PASS_SHARE else 1
    rubric = {"correctness": points, "helpfulness": points, "coherence": 4, "rationale": "stand-in judge"}
    return orjson.dumps(rubric).decode()


def completion(body: dict) -> bytes:
    return orjson.dumps(
        {
            "id": "chatcmpl-e2e",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "judge"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply_text(body)},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1 keep-alive, one request at a time per connection (what the openai client does)."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = dict(line.split(":", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ":" in line)
            length = int({k.strip().lower(): v.strip() for k, v in headers.items()}.get("content-length", 0))
            body = orjson.loads(await reader.readexactly(length)) if length else {}
            payload = completion(body)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(serve_connection, "127.0.0.1", port, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
