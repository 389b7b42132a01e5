"""A delaying HTTP proxy on loopback: every request waits ``latency`` seconds, then goes on.

It stands for a SCIM server far away: HTTP/1.1 keep-alive towards the client, one
upstream connection per request (the sandbox answers HTTP/1.0 and closes), with the
upstream's own ``Host`` (so the server answers as it does when reached directly: the
AWS sandbox keeps its serialized resources per base URL). It runs in
its own process (``delaying(upstream, latency)``), so its work competes neither with
the client nor with the server for a GIL. Requests are read by ``Content-Length``; no
chunked bodies (neither httpx nor the sandbox sends them here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

from bench.child import running

READY = "READY "
MAX_REQUESTS_PER_CONNECTION = 1_000_000
MAX_HEAD = 64 * 1024


@contextmanager
def delaying(upstream: str, latency: float) -> Iterator[str]:
    """Run the proxy in a child process; yield the URL that stands for ``upstream``."""
    with running("bench.proxy", upstream, f"--latency={latency}") as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(READY):
            raise RuntimeError(f"the proxy did not start (exit {proc.poll()})")
        yield json.loads(line[len(READY) :])["url"]


# --- in the child ---------------------------------------------------------------------------


class Proxy:
    def __init__(self, host: str, port: int, latency: float) -> None:
        self.host, self.port, self.latency = host, port, latency

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                headers = _headers(head)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                await asyncio.sleep(self.latency)
                writer.write(await self._forward(head, body))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    async def _forward(self, head: bytes, body: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(_rewrite_request(head, f"{self.host}:{self.port}") + body)
            await writer.drain()
            answer = await reader.read()  # the sandbox closes after each response
        finally:
            writer.close()
        return _keep_alive(answer)


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _rewrite_request(head: bytes, host: str) -> bytes:
    """The request as the upstream should get it: one request per connection, and its
    own ``Host``, so it answers (and builds its URLs) as it does to a client that
    reaches it directly."""
    lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    dropped = ("connection:", "host:")
    kept = [line for line in lines if not line.lower().startswith(dropped)]
    ending = [f"Host: {host}", "Connection: close"]
    return ("\r\n".join([*kept, *ending]) + "\r\n\r\n").encode("latin-1")


def _keep_alive(answer: bytes) -> bytes:
    """Answer as HTTP/1.1 with its length, so the client keeps its connection."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].replace("HTTP/1.0", "HTTP/1.1", 1)
    kept = [
        line
        for line in lines[1:]
        if not line.lower().startswith(("connection:", "content-length:"))
    ]
    kept.append(f"Content-Length: {len(body)}")
    return ("\r\n".join([status, *kept]) + "\r\n\r\n").encode("latin-1") + body


async def _main(upstream: str, latency: float) -> None:
    parts = urlsplit(upstream)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 80, latency)
    server = await asyncio.start_server(proxy.serve, "127.0.0.1", 0, limit=MAX_HEAD)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}{parts.path}"
    print(READY + json.dumps({"url": url}), flush=True)
    async with server:
        await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a delaying HTTP proxy on loopback")
    parser.add_argument("upstream", help="the URL to stand for, e.g. http://127.0.0.1:8080/v2")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per request")
    args = parser.parse_args(argv)
    with suppress(KeyboardInterrupt):
        asyncio.run(_main(args.upstream, args.latency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
