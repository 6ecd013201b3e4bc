"""The bot: takes neutral inbound events, answers through the Messenger port.

``Bot.handle`` is the one entry point every adapter calls. It drops repeats
(by platform event id), finds the community of the room, and routes the
event: commands to the dispatcher, thread replies to comments, reactions to
posts. No exception escapes to an adapter and no traceback to a user.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.commands.args import ArgError
from bot.commands.registry import Context, Registry, Response
from bot.domain import CommunityInfo
from bot.incoming import (
    Actor,
    ButtonPressed,
    Incoming,
    MessageReceived,
    MessageRef,
    ReactionAdded,
    ReactionRemoved,
    RoomRef,
)
from bot.messages import say, say_text
from bot.ports import Archive, Clock, Directory, Events, Ledger, Messenger, Schedule
from bot.richtext import Code, Document, document
from bot.services.archive import BOOKMARK, ArchiveService
from bot.services.digest import DigestService
from bot.services.events import JOIN_EMOJI, EventsService
from bot.services.help import HelpService
from bot.services.reminders import ReminderService
from bot.text import parse_event_number

log = logging.getLogger(__name__)

# Longer commands are refused with a clear line rather than stored: a
# 100 kB paste is almost always a mistake, and it would bloat every digest.
MAX_COMMAND_LENGTH = 20_000
_VARIATION_SELECTOR = "\ufe0f"


def normalize_emoji(emoji: str) -> str:
    """One spelling per emoji: 👍️ and 👍 count together."""
    return emoji.replace(_VARIATION_SELECTOR, "").strip()


@dataclass
class RoomMap:
    """Which community each room belongs to; ``"*"`` takes the rest."""

    rooms: dict[RoomRef, CommunityInfo] = field(default_factory=dict)
    wildcard: CommunityInfo | None = None

    def add(self, community: CommunityInfo, room: RoomRef | None) -> None:
        """Bind a room (or, with None, every unlisted room) to a community."""
        if room is None:
            self.wildcard = self.wildcard or community
        else:
            self.rooms.setdefault(room, community)

    def community_for(self, room: RoomRef) -> CommunityInfo | None:
        """The community of ``room``, or None when the bot should ignore it."""
        return self.rooms.get(room, self.wildcard)


@dataclass
class Repositories:
    """The storage ports the core uses."""

    directory: Directory
    archive: Archive
    events: Events
    schedule: Schedule
    ledger: Ledger


class Bot:
    """The platform-neutral bot."""

    def __init__(self, repos: Repositories, rooms: RoomMap, clock: Clock, *, prefix: str = "!kc",
                 communities: Sequence[CommunityInfo] = ()) -> None:
        self.repos = repos
        self.rooms = rooms
        self.communities = tuple(communities)
        self.clock = clock
        self.prefix = prefix
        self.messengers: dict[str, Messenger] = {}
        self.archive = ArchiveService(repos.archive, repos.directory)
        self.events = EventsService(repos.events)
        self.reminders = ReminderService(repos.schedule, self.send_direct, self.send_to_room)
        self.digest = DigestService(repos.schedule, self.events, self.send_direct, self.send_to_room)
        self.registry = Registry()
        self.registry.collect(HelpService(self.registry), self.archive, self.events, self.digest)
        self._prefix_re = re.compile(rf"\s*{re.escape(prefix)}(?=\s|$)", re.IGNORECASE)

    def attach(self, messenger: Messenger) -> None:
        """Let the bot answer on the messenger's platform."""
        self.messengers[messenger.platform] = messenger

    async def send_due_reminders(self) -> int:
        """Send the reminders the database says are due now (the scheduler's
        minute knock); how many went out."""
        try:
            return await self.reminders.send_due(self.communities, self.clock.now())
        except Exception:
            log.exception("sending due reminders failed; the next tick tries again")
            return 0

    async def post_due_digests(self) -> int:
        """Post each digest whose moment has come, once per period."""
        try:
            return await self.digest.post_due(self.communities, self.clock.now(), self.prefix)
        except Exception:
            log.exception("posting digests failed; the next tick tries again")
            return 0

    async def handle(self, event: Incoming) -> None:
        """Handle one inbound event fully (replies sent) before returning."""
        try:
            await self._handle(event)
        except Exception:
            log.exception("failed to handle %r", event)

    async def _handle(self, event: Incoming) -> None:
        room = event.ref.room if isinstance(event, MessageReceived) else (
            event.message.room if isinstance(event, ButtonPressed) else event.target.room
        )
        community = self.rooms.community_for(room)
        if community is None:
            return
        if event.event_id is not None:
            first_time = await self.repos.ledger.claim_inbound(room.platform, event.event_id, self.clock.now())
            if not first_time:
                log.info("dropping repeated %s event %s", room.platform, event.event_id)
                return
        if isinstance(event, MessageReceived):
            await self._on_message(community, event)
        elif isinstance(event, (ReactionAdded, ReactionRemoved)):
            await self._on_reaction(community, event)
        else:
            await self._on_button(community, event)

    # -- messages ----------------------------------------------------------

    async def _on_message(self, community: CommunityInfo, message: MessageReceived) -> None:
        text = message.text
        if not message.explicit_command:
            match = self._prefix_re.match(text)
            if match is None:
                await self._maybe_thread_comment(community, message)
                return
            text = text[match.end() :]
        member = await self.repos.directory.ensure_member(community.id, message.sender)
        ctx = Context(community, member, message, self.prefix, self.clock.now())
        response = await self._run_command(ctx, text)
        await self.deliver(response, message.ref.room, in_reply_to=message.ref)

    async def _run_command(self, ctx: Context, text: str) -> Response:
        language = ctx.language
        help_code = Code(f"{self.prefix} help")
        if len(ctx.message.text) > MAX_COMMAND_LENGTH:
            length, limit = f"{len(ctx.message.text):,}", f"{MAX_COMMAND_LENGTH:,}"
            return Response(document(say(language, "error.too_long", length=length, limit=limit)))
        words = text.split()
        if not words:
            return Response(document(say(language, "error.empty_command", help=help_code)))
        cmd, used = self.registry.lookup([w.lower() for w in words[:2]])
        if cmd is None:
            verb = words[0]
            suggestion = self.registry.closest(verb.lower())
            if suggestion:
                return Response(document(say(language, "error.unknown_verb", verb=verb, suggestion=Code(suggestion), help=help_code)))
            return Response(document(say(language, "error.unknown_verb_no_suggestion", verb=verb, help=help_code)))
        if ctx.member.role < cmd.spec.role:
            role = say_text(language, f"role.{cmd.spec.role.label}")
            return Response(document(say(language, "error.role", role=role, command=Code(f"{self.prefix} {cmd.name}"))))
        # The text after the verb's words, its own spacing kept.
        split = text.split(None, used)
        rest = split[used] if len(split) > used else ""
        try:
            args = cmd.parse(rest)
        except ArgError as problem:
            reason = say_text(language, problem.key, **problem.values)
            return Response(document(say(language, "error.usage", problem=reason, usage=Code(cmd.usage(self.prefix)))))
        try:
            return await cmd.handler(ctx, args)
        except Exception:
            log.exception("command %r failed", text[:200])
            return Response(document(say(language, "error.internal", command=Code(f"{self.prefix} {cmd.name}"))))

    async def _maybe_thread_comment(self, community: CommunityInfo, message: MessageReceived) -> None:
        if message.thread_root is None or not message.text.strip():
            return
        anchor = await self.repos.ledger.find_anchor(message.thread_root)
        if anchor is None or anchor.post_id is None or anchor.post_number is None:
            return
        post = await self.repos.archive.get_post(community.id, anchor.post_number)
        if post is None or post.removed:
            return
        member = await self.repos.directory.ensure_member(community.id, message.sender)
        response = await self.archive.add_comment(
            community, post.id, post.number, member, message.text, self.clock.now()
        )
        await self.deliver(response, message.ref.room, in_reply_to=message.ref)

    # -- reactions ---------------------------------------------------------

    async def _on_reaction(self, community: CommunityInfo, event: ReactionAdded | ReactionRemoved) -> None:
        emoji = normalize_emoji(event.emoji)
        added = isinstance(event, ReactionAdded)
        anchor = await self.repos.ledger.find_anchor(event.target)
        member = await self.repos.directory.ensure_member(community.id, event.sender)
        now = self.clock.now()
        if anchor is not None and anchor.event_number is not None and emoji == JOIN_EMOJI:
            sign = self.events.sign_up if added else self.events.sign_off
            response = await sign(community, member, anchor.event_number, now, self.prefix)
            await self._answer_privately(event.target.room, event.sender, response)
        elif anchor is not None and anchor.post_id is not None:
            await self.archive.react(anchor.post_id, member, emoji, added, now)
        elif isinstance(event, ReactionAdded) and emoji == BOOKMARK and event.target_message is not None:
            response = await self.archive.archive_message(community, member, event.target_message, (), now)
            await self.deliver(response, event.target.room, in_reply_to=event.target)

    async def _on_button(self, community: CommunityInfo, pressed: ButtonPressed) -> None:
        number = parse_event_number(pressed.value)
        if pressed.action not in ("join", "leave") or number is None:
            log.warning("unknown button %s=%s", pressed.action, pressed.value)
            return
        member = await self.repos.directory.ensure_member(community.id, pressed.sender)
        sign = self.events.sign_up if pressed.action == "join" else self.events.sign_off
        response = await sign(community, member, number, self.clock.now(), self.prefix)
        await self._answer_privately(pressed.message.room, pressed.sender, response)
        # The announcement shows the seats left: refresh it where it was pressed.
        details = await self.repos.events.get_event(community.id, number)
        messenger = self.messengers.get(pressed.message.room.platform)
        if details is not None and messenger is not None:
            await messenger.update(pressed.message, self.events.announcement(community, details.info, self.prefix))

    async def _answer_privately(self, room: RoomRef, who: Actor, response: Response) -> None:
        """Reactions and buttons are answered privately (ephemeral where the
        platform has it, else by DM): the room stays quiet."""
        messenger = self.messengers.get(room.platform)
        if response.doc is not None and messenger is not None:
            await messenger.send_private(room, who.user_id, response.doc)
        for notice in response.notices:
            await self.send_direct(notice.member_id, notice.doc)

    # -- output ------------------------------------------------------------

    async def deliver(self, response: Response, room: RoomRef, *, in_reply_to: MessageRef | None = None) -> None:
        """Send a response: the reply (remembering what it stands for) and
        any private notices."""
        messenger = self.messengers.get(room.platform)
        if response.doc is not None and messenger is not None:
            if response.attachment is not None:
                file = response.attachment
                sent = await messenger.send_file(room, file.filename, file.content, file.mimetype, response.doc)
            else:
                sent = await messenger.send(room, response.doc, in_reply_to=in_reply_to)
            if response.anchor is not None:
                await self.repos.ledger.add_anchor(sent, response.anchor, self.clock.now())
        for notice in response.notices:
            await self.send_direct(notice.member_id, notice.doc)

    async def send_to_room(self, room: RoomRef, doc: Document) -> None:
        """Post a document in a room on its platform, if the bot is there."""
        messenger = self.messengers.get(room.platform)
        if messenger is None:
            log.warning("no %s messenger for %s", room.platform, room.room_id)
            return
        await messenger.send(room, doc)

    async def send_direct(self, member_id: int, doc: Document) -> None:
        """A private message to a member, on the first platform we can reach them."""
        for platform, user_id in await self.repos.directory.identities(member_id):
            messenger = self.messengers.get(platform)
            if messenger is not None and await messenger.send_direct(user_id, doc) is not None:
                return
        log.warning("no way to reach member %s privately", member_id)

