"""The console: the same bot on stdin/stdout, scriptable for tests and demos.

Every message printed — the user's and the bot's — starts with a reference
such as ``[m7]`` that later lines can point at:

    /as NAME             speak as NAME from now on
    /react REF EMOJI     react to message REF     /unreact REF EMOJI
    /reply REF TEXT      reply to message REF (in its thread)
    /edit REF TEXT       change your message REF  /delete REF   take it back
    /help                these commands           /quit
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.incoming import (
    Actor,
    Incoming,
    MessageEdited,
    MessageReceived,
    MessageRef,
    MessageRemoved,
    QuotedMessage,
    ReactionAdded,
    ReactionRemoved,
    RoomRef,
)
from bot.outgoing import Kind, Queued
from bot.richtext import render_plain
from bot.text import without_reordering as sanitize_for_display

PLATFORM = "console"
ROOM = RoomRef(PLATFORM, "console")
BOT_NAME = "bot"

CONSOLE_HELP = """\
-- console commands:
--   /as NAME            speak as NAME (created on first use)
--   /react REF EMOJI    react to a message, e.g. /react m2 👍
--   /unreact REF EMOJI  take a reaction back
--   /reply REF TEXT     reply to a message in its thread (e.g. /reply m3 !kc save)
--   /edit REF TEXT      change a message of yours (a post or comment it became changes too)
--   /delete REF         take a message of yours back (a post it became leaves the archive)
--   /quit               leave (end of input works too)"""


@dataclass(frozen=True)
class _Printed:
    author: str
    text: str


class ConsoleAdapter:
    """Reads lines, hands them to the bot as neutral events, prints replies.

    Implements the Messenger port for the ``console`` platform."""

    platform = PLATFORM

    def __init__(
        self, handle: Callable[[Incoming], Awaitable[object]], out: TextIO, user: str, files_dir: Path
    ) -> None:
        self._handle = handle
        self._out = out
        self.user = user
        self._files_dir = files_dir
        self._messages: dict[str, _Printed] = {}

    # -- Messenger port ----------------------------------------------------

    async def deliver(self, message: Queued) -> list[MessageRef]:
        """Print a stored message: in the room, or as a DM naming its reader
        (the console has no private corner in a room); a file is saved
        under the data folder and its path printed. Updates of earlier
        messages are not shown: printed lines stay as they are."""
        outgoing = message.message
        text = render_plain(outgoing.doc)
        if outgoing.attachment is not None:
            self._files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self._files_dir / Path(outgoing.attachment.filename).name
            path.write_bytes(outgoing.attachment.content)
            path.chmod(0o600)  # an export holds personal data
            text = f"{text}\n📎 {path}"
        if outgoing.kind == Kind.UPDATE:
            return []
        if outgoing.kind in (Kind.DIRECT, Kind.PRIVATE):
            return [self._print(f"{BOT_NAME} → {outgoing.user_id} (DM)", text, author=BOT_NAME)]
        return [self._print(BOT_NAME, text)]

    # -- input -------------------------------------------------------------

    async def run(self, lines: AsyncIterator[str]) -> None:
        """Handle each line fully, in order, until ``/quit`` or end of input."""
        async for line in lines:
            if not await self.handle_line(line.rstrip("\r\n")):
                return

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; False when the user wants to leave."""
        if not line.strip():
            return True
        if line.startswith("/"):
            return await self._console_command(line)
        ref = self._print(self.user, line)
        await self._handle(MessageReceived(sender=self._actor(), ref=ref, text=line))
        return True

    async def _console_command(self, line: str) -> bool:
        verb, _, rest = line.partition(" ")
        rest = rest.strip()
        if verb == "/quit":
            return False
        if verb == "/as" and rest:
            self.user = rest.split()[0]
            self.note(f"you are now {self.user}")
        elif verb in ("/react", "/unreact") and len(rest.split()) == 2:
            await self._react(verb == "/react", *rest.split())
        elif verb == "/reply" and len(rest.split(None, 1)) == 2:
            target, text = rest.split(None, 1)
            await self._reply(target, text)
        elif verb == "/edit" and len(rest.split(None, 1)) == 2:
            target, text = rest.split(None, 1)
            await self._edit(target, text)
        elif verb == "/delete" and len(rest.split()) == 1:
            await self._delete(rest)
        elif verb == "/help":
            self._out.write(CONSOLE_HELP + "\n")
        else:
            self.note(f'"{line}" is not a console command; /help lists them')
        return True

    async def _react(self, adding: bool, target: str, emoji: str) -> None:
        quoted = self._quoted(target)
        if quoted is None:
            return
        actor = self._actor()
        self.note(f"{actor.user_id} {'reacted' if adding else 'removed'} {emoji} on {quoted.ref.message_id}")
        if adding:
            await self._handle(ReactionAdded(sender=actor, target=quoted.ref, emoji=emoji, target_message=quoted))
        else:
            await self._handle(ReactionRemoved(sender=actor, target=quoted.ref, emoji=emoji))

    async def _reply(self, target: str, text: str) -> None:
        quoted = self._quoted(target)
        if quoted is None:
            return
        ref = self._print(f"{self.user} (reply to {quoted.ref.message_id})", text, author=self.user)
        await self._handle(
            MessageReceived(sender=self._actor(), ref=ref, text=text, reply_to=quoted, thread_root=quoted.ref)
        )

    async def _edit(self, target: str, text: str) -> None:
        quoted = self._own(target)
        if quoted is not None:
            self._messages[quoted.ref.message_id] = _Printed(self.user, text)
            self.note(f"{self.user} edited {quoted.ref.message_id}: {text}")
            await self._handle(MessageEdited(sender=self._actor(), original=quoted.ref, text=text))

    async def _delete(self, target: str) -> None:
        quoted = self._own(target)
        if quoted is not None:
            self.note(f"{self.user} deleted {quoted.ref.message_id}")
            await self._handle(MessageRemoved(sender=self._actor(), target=quoted.ref))

    def _own(self, target: str) -> QuotedMessage | None:
        """A message of the current user's, as edits and deletions need."""
        quoted = self._quoted(target)
        if quoted is not None and quoted.author.user_id != self.user:
            self.note(f"{quoted.ref.message_id} is not yours to change")
            return None
        return quoted

    # -- printing ----------------------------------------------------------

    def _print(self, label: str, text: str, *, author: str | None = None) -> MessageRef:
        message_id = f"m{len(self._messages) + 1}"
        self._messages[message_id] = _Printed(author or label, text)
        head = f"[{message_id}] {label}: "
        lines = inert(text).split("\n") or [""]
        indent = " " * len(head)
        self._out.write(head + lines[0] + "".join(f"\n{indent}{line}" for line in lines[1:]) + "\n")
        self._out.flush()
        return MessageRef(ROOM, message_id)

    def note(self, text: str) -> None:
        """A line from the console itself (not the bot), marked ``--``."""
        self._out.write(f"-- {inert(text)}\n")
        self._out.flush()

    def _quoted(self, target: str) -> QuotedMessage | None:
        message_id = target.strip("[]")
        printed = self._messages.get(message_id)
        if printed is None:
            self.note(f"there is no message {target}; use a reference like m3")
            return None
        by_bot = printed.author == BOT_NAME
        author = _BOT if by_bot else Actor(PLATFORM, printed.author, printed.author)
        return QuotedMessage(MessageRef(ROOM, message_id), author, printed.text, from_bot=by_bot)

    def _actor(self) -> Actor:
        return Actor(PLATFORM, self.user, self.user)


_BOT = Actor(PLATFORM, BOT_NAME, BOT_NAME)
# The console's own commands, for tab completion.
CONSOLE_COMMANDS = ["/as", "/react", "/unreact", "/reply", "/edit", "/delete", "/help", "/quit"]


def inert(text: str) -> str:
    """Text safe to write to a terminal: control characters shown in caret
    notation (``^[`` for ESC) instead of acting on the reader's screen, and
    invisible reordering characters left out. Newlines stay."""
    shown = []
    for ch in sanitize_for_display(text):
        code = ord(ch)
        if ch == "\n" or not (code < 0x20 or 0x7F <= code < 0xA0):
            shown.append(ch)
        elif code < 0x20 or code == 0x7F:
            shown.append("^" + chr(code ^ 0x40))
        else:
            shown.append(f"<{code:02x}>")
    return "".join(shown)
