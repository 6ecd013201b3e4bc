"""A fault-injecting HTTP proxy between the bot and the test Synapse, on
127.0.0.1. Not a test module.

It forwards every request unchanged, except what a test asks it to break:

* :meth:`FaultProxy.lose_responses` — forward the next sends to Synapse (so
  they happen) but answer the bot 502, as a proxy that dropped the response;
* :meth:`FaultProxy.refuse_sends` — answer sends 503 without forwarding
  them, for a number of seconds or until told otherwise;
* :attr:`FaultProxy.send_delay` — hold each send this long before forwarding.

A "send" is what the bot posts: ``PUT …/rooms/{room}/send/…`` events and
``POST …/createRoom`` (opening a direct room).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Self

from aiohttp import ClientSession, ClientTimeout, web

_SEND = re.compile(r"/_matrix/client/[^/]+/(rooms/[^/]+/send/|createRoom)")
_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


@dataclass
class FaultProxy:
    """The proxy; use as ``async with FaultProxy(synapse.base_url) as proxy``."""

    upstream: str
    send_delay: float = 0.0
    forwarded_sends: list[str] = field(default_factory=list)  # paths of sends that reached Synapse
    refused_sends: list[str] = field(default_factory=list)
    _lose: int = 0
    _refuse_until: float = 0.0
    _runner: web.AppRunner | None = None
    _client: ClientSession | None = None
    _port: int = 0

    @property
    def base_url(self) -> str:
        """Where the bot should find its homeserver."""
        return f"http://127.0.0.1:{self._port}"

    def lose_responses(self, count: int = 1) -> None:
        """The next ``count`` sends reach Synapse, but the bot is told 502."""
        self._lose += count

    def refuse_sends(self, seconds: float = float("inf")) -> None:
        """Refuse every send for ``seconds`` (0: accept again)."""
        self._refuse_until = time.monotonic() + seconds

    async def __aenter__(self) -> Self:
        self._client = ClientSession(timeout=ClientTimeout(total=None), auto_decompress=False)
        app = web.Application(client_max_size=1 << 26)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        is_send = _SEND.match(request.path) is not None
        if is_send and time.monotonic() < self._refuse_until:
            self.refused_sends.append(request.path)
            return web.json_response({"errcode": "M_UNKNOWN", "error": "proxy refuses sends"}, status=503)
        if is_send and self.send_delay:
            await asyncio.sleep(self.send_delay)
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        body = await request.read()
        async with self._client.request(request.method, self.upstream + request.path_qs, headers=headers,
                                        data=body or None) as upstream:
            content = await upstream.read()
            if is_send:
                self.forwarded_sends.append(request.path)
                if self._lose > 0:
                    self._lose -= 1
                    return web.Response(status=502, text="Bad Gateway (the proxy lost the answer)")
            out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
            return web.Response(status=upstream.status, body=content, headers=out_headers)
