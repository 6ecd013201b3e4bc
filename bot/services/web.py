"""`web`: a one-time link that signs a member in to the web pages.

The link is for the asker's eyes only (a DM, or Slack's ephemeral message),
works once and for :data:`SIGN_IN_VALID`. Only a hash of its token is
stored, so the database never holds a usable link. Opening it shows a
button that signs in: link previews (Slack's unfurler, a homeserver's URL
preview) fetch the page but do not press the button, so they cannot use
the link up.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.commands.registry import Args, Context, Response, command
from bot.messages import say
from bot.ports import WebSignIns
from bot.refusal import Refusal
from bot.richtext import Link, document
from bot.weblinks import WebLinks

SIGN_IN_VALID = timedelta(minutes=15)


def token_hash(token: str) -> str:
    """What is stored of a secret token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class WebService:
    """`web`."""

    def __init__(self, sign_ins: WebSignIns, links: WebLinks | None) -> None:
        self.sign_ins = sign_ins
        self.links = links  # None: the web pages are off

    @command("web")
    async def web(self, ctx: Context, args: Args) -> Response:
        """A link that signs you in to the web pages (once, within 15 minutes)."""
        if self.links is None:
            raise Refusal("web.off")
        token = secrets.token_urlsafe(32)
        await self.sign_ins.add_sign_in(token_hash(token), ctx.member.id, ctx.now, ctx.now + SIGN_IN_VALID)
        minutes = int(SIGN_IN_VALID.total_seconds() // 60)
        return Response(document(say(ctx.language, "web.link", link=Link(self.links.sign_in(token)),
                                     minutes=minutes)), private=True)
