"""Signing in and out of the web pages.

`web` in chat sends a one-time link (see ``bot/services/web.py``). Opening
it shows a button; pressing it uses the link up and starts a session: a
random cookie (HttpOnly, SameSite=Lax, Secure behind https) whose hash the
database keeps until it expires. Forms carry a CSRF token derived from the
session's cookie, which a page of another site cannot know. Attempts at
sign-in links are limited per address, so links cannot be guessed at speed
(they are 256-bit random as it is).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from bot.domain import MemberInfo
from bot.services.web import token_hash
from storage.repositories.web_access import SqlWebAccess

COOKIE = "kc_session"
SESSION_LASTS = timedelta(days=14)
# Sign-in attempts (opening or using a link) per client address and minute.
SIGN_INS_PER_MINUTE = 10
_VIEWER = web.RequestKey("viewer", object)


@dataclass(frozen=True)
class Viewer:
    """A signed-in member and what their session allows."""

    member_id: int
    session_hash: str
    csrf: str
    memberships: dict[int, MemberInfo] = field(default_factory=dict)


def csrf_of(cookie: str) -> str:
    """The CSRF token of a session: derived from its secret cookie."""
    return hashlib.sha256(f"csrf:{cookie}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


async def viewer_of(request: web.Request, access: SqlWebAccess, now: datetime) -> Viewer | None:
    """Who is signed in on this request (looked up once per request)."""
    if _VIEWER in request:
        found: Viewer | None = request[_VIEWER]  # type: ignore[assignment]
        return found
    viewer = None
    cookie = request.cookies.get(COOKIE, "")
    if 20 <= len(cookie) <= 100:
        hashed = token_hash(cookie)
        member_id = await access.session_member(hashed, now)
        if member_id is not None:
            viewer = Viewer(member_id, hashed, csrf_of(cookie), await access.memberships(member_id))
    request[_VIEWER] = viewer
    return viewer


class SignInLimit:
    """At most :data:`SIGN_IN_PER_MINUTE` sign-in requests per client
    address in any minute (a sliding window, in memory)."""

    def __init__(self, per_minute: int = SIGN_INS_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        """Count one attempt from ``address``; False when over the limit."""
        now = time.monotonic()
        if len(self._seen) > 10_000:  # forget quiet addresses rather than grow without end
            self._seen = {a: q for a, q in self._seen.items() if q and now - q[-1] < 60}
        recent = self._seen.setdefault(address, deque())
        while recent and now - recent[0] >= 60:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        return True


def start_session(response: web.StreamResponse, *, secure: bool) -> str:
    """Set a new session cookie on ``response``; the cookie's value."""
    cookie = secrets.token_urlsafe(32)
    response.set_cookie(COOKIE, cookie, max_age=int(SESSION_LASTS.total_seconds()), path="/", httponly=True,
                        samesite="Lax", secure=secure)
    return cookie


def end_session(response: web.StreamResponse, *, secure: bool) -> None:
    """Remove the session cookie."""
    response.del_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")
