"""The bot: takes neutral inbound events and decides what to send.

``Bot.handle`` is the one entry point every adapter calls. It finds the
community of the room and routes the event: commands to the dispatcher,
thread replies to comments, reactions to posts. Whatever the event changes,
its claim (by platform event id: a repeat is dropped) and the messages it
answers with are written in one unit of work: all of it commits, or none of
it. The messages go to the outbox; the deliverer sends them from there, so
a crash after the commit still answers, and a crash before it leaves the
event to be handled again when the platform redelivers it.

A bug in a handler never reaches the user as a traceback: its unit is
rolled back and a second one stores the claim and a short apology. Only
when that fails too (the database is unreachable) does ``handle`` raise, so
the adapter can let the platform deliver the event again later.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.commands.registry import Context, Registry, Response
from bot.domain import CommunityInfo, MemberInfo, SourceMessage, reading_language
from bot.incoming import (
    Actor,
    ButtonPressed,
    Incoming,
    MessageEdited,
    MessageReceived,
    MessageRef,
    MessageRemoved,
    MessageUnreadable,
    ReactionAdded,
    ReactionRemoved,
    RoomRef,
    sanitized,
)
from bot.messages import localized_usage, say, say_text, typed_command, verb
from bot.observe import ERROR, FAILED, IGNORED, NO_OBSERVER, OK, REFUSED, REPEAT, Observer, noting
from bot.outgoing import Compose, DirectNotice, Kind, Outgoing, Queued
from bot.ports import (
    Archive,
    Clock,
    Directory,
    Events,
    Ledger,
    Linking,
    Outbox,
    PageTitles,
    Pairing,
    People,
    Records,
    Schedule,
    Stats,
    Transactions,
    WebSignIns,
)
from bot.ratelimit import CommandRateLimit, Verdict
from bot.refusal import Refusal, UsageWords
from bot.richtext import Code, Document, document
from bot.services.archive import BOOKMARK, ArchiveService
from bot.services.digest import DigestService
from bot.services.events import JOIN_EMOJI, EventsService
from bot.services.help import HelpService
from bot.services.linking import LinkingService
from bot.services.pairing import PairingService
from bot.services.people import PeopleService, managers_named
from bot.services.records import RecordsService
from bot.services.reminders import ReminderService, Send
from bot.services.stats import StatsService
from bot.services.web import WebService
from bot.text import parse_event_number
from bot.weblinks import WebLinks

log = logging.getLogger(__name__)
# One INFO line per handled event (platform, event, outcome, duration_ms as fields).
handled_log = logging.getLogger(f"{__name__}.handled")

# Longer commands are refused with a clear line rather than stored: a
# 100 kB paste is almost always a mistake, and it would bloat every digest.
MAX_COMMAND_LENGTH = 20_000
# How long a message may wait for delivery before it is given up as expired.
DEFAULT_KEEP_FOR = timedelta(hours=24)
# Inbound event ids are kept this long to recognise a platform's redelivery.
INBOUND_KEPT = timedelta(days=2)
# Links looked up per knock: each fetch is bounded (see adapters/page_titles.py).
LINK_TITLES_PER_TICK = 10
# Runs of a unit of work that lost a race with another writer (PostgreSQL
# lets writers run side by side); the third loss is reported as a failure.
UNIT_ATTEMPTS = 3
_VARIATION_SELECTOR = "\ufe0f"
_EVENT_NAMES = {MessageReceived: "message", MessageEdited: "edit", MessageRemoved: "removal",
                ReactionAdded: "reaction", ReactionRemoved: "unreaction", ButtonPressed: "button",
                MessageUnreadable: "unreadable"}
# Join outcomes that are sign-ups (the others change nothing).
_SIGNED_UP = ("going", "waitlisted")


def normalize_emoji(emoji: str) -> str:
    """One spelling per emoji: 👍️ and 👍 count together."""
    return emoji.replace(_VARIATION_SELECTOR, "").strip()


def room_of(event: Incoming) -> RoomRef:
    """The room an inbound event happened in."""
    if isinstance(event, (MessageReceived, MessageUnreadable)):
        return event.ref.room
    if isinstance(event, ButtonPressed):
        return event.message.room
    if isinstance(event, MessageEdited):
        return event.original.room
    return event.target.room


def _source(ref: MessageRef) -> SourceMessage:
    return SourceMessage(ref.room.platform, ref.room.room_id, ref.message_id)


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
    outbox: Outbox
    transactions: Transactions
    people: People
    pairing: Pairing
    linking: Linking
    stats: Stats
    records: Records
    web: WebSignIns


class _Repeat(Exception):
    """The inbound event was handled before: undo this handling."""


class _CommandFailed(Exception):
    """A command handler raised: undo what it did, answer with ``reply``."""

    def __init__(self, reply: Response) -> None:
        super().__init__("command failed")
        self.reply = reply


Produce = Callable[[], Awaitable[list[Send]]]


class Bot:
    """The platform-neutral bot."""

    def __init__(self, repos: Repositories, rooms: RoomMap, clock: Clock, *, prefix: str = "!kc",
                 communities: Sequence[CommunityInfo] = (), keep_for: timedelta = DEFAULT_KEEP_FOR,
                 rate_limit: CommandRateLimit | None = None, page_titles: PageTitles | None = None,
                 web: WebLinks | None = None) -> None:
        self.repos = repos
        self.web = web  # None: the web pages are off
        self.page_titles = page_titles  # None: link titles are not fetched
        self.rate_limit = rate_limit or CommandRateLimit(per_minute=0, burst=0)
        self.rooms = rooms
        self.communities = tuple(communities)
        self.clock = clock
        self.prefix = prefix
        self.keep_for = keep_for
        # Platforms this process delivers on: a member's DMs go to the first of theirs found here.
        self.platforms: set[str] = set()
        # Told about rows right after they committed (the deliverer's fast path).
        self.on_stored: Callable[[list[Queued]], None] = lambda rows: None
        # Told what was handled, signed up and knocked (metrics; see bot/observe.py).
        self.observer: Observer = NO_OBSERVER
        self.archive = ArchiveService(repos.archive, repos.directory, web)
        self.events = EventsService(repos.events, web)
        self.reminders = ReminderService(repos.schedule)
        self.digest = DigestService(repos.schedule, self.events)
        self.people = PeopleService(repos.directory, repos.people)
        self.pairing = PairingService(repos.pairing)
        by_id = {c.id: c for c in self.communities}
        self.linking = LinkingService(repos.linking, repos.directory, self.events, by_id)
        self.registry = Registry()
        self.registry.collect(HelpService(self.registry), self.archive, self.events, self.digest, self.people,
                              self.pairing, self.linking, StatsService(repos.stats, repos.events, self.people),
                              RecordsService(repos.records, repos.directory, self.people, self.events, by_id),
                              WebService(repos.web, web))
        self._prefix_re = re.compile(rf"\s*{re.escape(prefix)}(?=\s|$)", re.IGNORECASE)

    # -- scheduled work ----------------------------------------------------------

    async def send_due_reminders(self) -> int:
        """Store the reminders the database says are due now (the scheduler's
        minute knock) for delivery; how many reminders."""
        self.observer.knocked("reminders")
        return await self._each_community("reminders", lambda c: self.reminders.due(c, self.clock.now()))

    async def post_due_digests(self) -> int:
        """Store each digest whose moment has come, once per period."""
        return await self._each_community("digest", lambda c: self.digest.due(c, self.clock.now(), self.prefix))

    async def hold_pairing_rounds(self) -> int:
        """Hold each community's pairing round whose moment has come, once."""
        return await self._each_community("pairing", lambda c: self.pairing.due(c, self.clock.now()))

    async def fetch_link_titles(self, limit: int = LINK_TITLES_PER_TICK) -> int:
        """Look up the page titles of links not looked at yet (the scheduler's
        knock when ``link_titles`` is on); how many titles were found. Each
        is searched with its post from then on and shown by `show`."""
        if self.page_titles is None:
            return 0
        found = 0
        for link_id, url in await self.repos.archive.links_to_title(limit):
            title = await self.page_titles.title_of(url)
            await self.repos.archive.set_link_title(link_id, title, self.clock.now())
            found += title is not None
        return found

    async def prune(self) -> int:
        """Forget inbound event ids past every platform's redelivery window
        (Slack retries for about an hour; Matrix replays only since the saved
        position); how many."""
        return await self.repos.ledger.forget_inbound(before=self.clock.now() - INBOUND_KEPT)

    async def _each_community(
        self, what: str, due: Callable[[CommunityInfo], Awaitable[tuple[int, list[Send]]]]
    ) -> int:
        total = 0
        for community in self.communities:
            counted = 0

            async def decide(community: CommunityInfo = community) -> list[Send]:
                nonlocal counted
                counted, sends = await due(community)
                return sends

            try:
                await self._decide(community, decide)
            except Exception:
                log.exception("%s of %s failed; the next tick tries again", what, community.name)
                continue
            total += counted
        return total

    # -- inbound -------------------------------------------------------------

    async def handle(self, event: Incoming) -> list[Queued]:
        """Handle one inbound event: its effects, its claim and its replies
        commit together; the rows stored for this process's deliverer come
        back. Raises only when nothing could be stored (so the platform may
        deliver the event again)."""
        started, outcome = time.perf_counter(), FAILED
        try:
            stored, outcome = await self._handle(event)
            return stored
        finally:
            self._observe(event, outcome, time.perf_counter() - started)

    async def _handle(self, event: Incoming) -> tuple[list[Queued], str]:
        """:meth:`handle`, and how it went (an outcome of bot/observe.py)."""
        community = self.rooms.community_for(room_of(event))
        if community is None:
            return [], IGNORED
        event = sanitized(event)
        try:
            return await self._decide(community, lambda: self._route(community, event), claim=event), OK
        except _Repeat:
            log.info("dropping repeated %s event %s", room_of(event).platform, event.event_id)
            return [], REPEAT
        except _CommandFailed as failed:
            # A refusal is raised from None; a handler's bug from its error.
            reply, outcome = failed.reply, REFUSED if failed.__cause__ is None else ERROR
        except Exception:
            log.exception("failed to handle %r", event)
            reply, outcome = Response(None), ERROR
        # The handling was rolled back. Claim the event with the apology alone:
        # if even that fails, the database is what failed, and the error goes
        # to the adapter, which lets the platform deliver the event again.
        try:
            return await self._decide(community, lambda: self._answer(event, reply), claim=event,
                                      always_claim=True), outcome
        except _Repeat:
            return [], REPEAT

    def _observe(self, event: Incoming, outcome: str, seconds: float) -> None:
        platform, name = room_of(event).platform, _EVENT_NAMES.get(type(event), type(event).__name__)
        self.observer.handled(platform, name, outcome, seconds)
        ms = round(seconds * 1000, 1)
        handled_log.info("handled %s on %s: %s in %.1f ms", name, platform, outcome, ms,
                         extra={"platform": platform, "event": name, "outcome": outcome, "duration_ms": ms,
                                "event_id": event.event_id})

    async def _decide(self, community: CommunityInfo, produce: Produce, claim: Incoming | None = None, *,
                      always_claim: bool = False, via: str = "") -> list[Queued]:
        """One unit of work: what ``produce`` changes, the claim of the event
        (when it changed or answers anything, or ``always_claim``), and the
        messages it returns, stored for delivery. A unit that lost a race
        with another writer (another process took the same key) is run
        again from the start, up to :data:`UNIT_ATTEMPTS` times. ``via``
        names where a decision without an inbound event came from (metrics)."""
        for attempt in range(1, UNIT_ATTEMPTS + 1):
            try:
                with noting() as notes:
                    async with self.repos.transactions.atomic() as unit:
                        addressed = await self._addressed(await produce(), community)
                        if claim is not None and claim.event_id is not None and (
                                addressed or unit.wrote or always_claim):
                            platform = room_of(claim).platform
                            if not await self.repos.ledger.claim_inbound(platform, claim.event_id, self.clock.now()):
                                raise _Repeat
                        stored = await self.repos.outbox.enqueue(addressed, self.clock.now(), self.keep_for)
                break
            except Exception as error:
                if attempt == UNIT_ATTEMPTS or not self.repos.transactions.is_conflict(error):
                    raise
                log.info("a write lost a race with another writer; running it again (attempt %d)", attempt + 1)
        self.on_stored(stored)
        # Committed: now what the unit noted counts.
        for kind, value in notes:
            if kind == "signup" and value in _SIGNED_UP:
                self.observer.signed_up(room_of(claim).platform if claim is not None else via, value)
        return stored

    async def _route(self, community: CommunityInfo, event: Incoming) -> list[Send]:
        if isinstance(event, MessageReceived):
            return await self._on_message(community, event)
        if isinstance(event, (ReactionAdded, ReactionRemoved)):
            return await self._on_reaction(community, event)
        if isinstance(event, MessageEdited):
            return await self._on_edit(community, event)
        if isinstance(event, MessageRemoved):
            return await self._on_removed(community, event)
        if isinstance(event, MessageUnreadable):
            return await self._on_unreadable(community, event)
        return await self._on_button(community, event)

    # -- edits and removals of chat messages -----------------------------------

    async def _on_edit(self, community: CommunityInfo, edit: MessageEdited) -> list[Send]:
        """An edited chat message edits the post or comment it became (its
        author's edit only); an edited command is not run again."""
        member = await self.repos.directory.ensure_member(community.id, edit.sender)
        match = self._prefix_re.match(edit.text)
        command = edit.text[match.end():].strip() if match else None
        try:
            response = await self.archive.apply_edit(community, member, _source(edit.original), edit.text, command,
                                                     self.clock.now())
        except Refusal as refusal:  # the edited post no longer reads as one
            post, _ = self.registry.lookup(["post"])
            language = reading_language(community, member)
            response = Response(self._refusal(language, refusal, post.usage(self.prefix, language) if post else ""))
        if response is None:
            return []
        return self._in_room(response, edit.original.room, reply_to=edit.original.message_id)

    async def _on_removed(self, community: CommunityInfo, removed: MessageRemoved) -> list[Send]:
        """A chat message taken back takes its post out of the archive."""
        member = await self.repos.directory.ensure_member(community.id, removed.sender)
        await self.archive.source_removed(community, member, _source(removed.target), self.clock.now())
        return []

    async def _on_unreadable(self, community: CommunityInfo, unreadable: MessageUnreadable) -> list[Send]:
        """A message that stayed encrypted: its sender is told, in plain
        words, how to make their messages readable (the adapter reports each
        missing key once)."""
        member = await self.repos.directory.ensure_member(community.id, unreadable.sender)
        if self.rate_limit.check(member.id, self.clock.now()) is not Verdict.RUN:
            return []  # a flood of unreadable events gets no flood of explanations
        text = say(reading_language(community, member), "error.unreadable")
        return self._in_room(Response(document(text)), unreadable.ref.room, reply_to=unreadable.ref.message_id)

    # -- messages ----------------------------------------------------------

    async def _on_message(self, community: CommunityInfo, message: MessageReceived) -> list[Send]:
        text = message.text
        if not message.explicit_command:
            match = self._prefix_re.match(text)
            if match is None:
                return await self._maybe_thread_comment(community, message)
            text = text[match.end() :]
        member = await self.repos.directory.ensure_member(community.id, message.sender)
        verdict = self.rate_limit.check(member.id, self.clock.now())
        if verdict is Verdict.IGNORE:
            return []
        if verdict is Verdict.SLOW_DOWN:
            limit = self.rate_limit
            slow = say(reading_language(community, member), "error.slow_down", burst=limit.burst, per_minute=limit.per_minute)
            return await self._answer(message, Response(document(slow)))
        ctx = Context(community, member, message, self.prefix, self.clock.now())
        return await self._answer(message, await self._run_command(ctx, text))

    async def _run_command(self, ctx: Context, text: str) -> Response:
        language = ctx.language
        help_code = typed_command(language, self.prefix, "help")
        if len(ctx.message.text) > MAX_COMMAND_LENGTH:
            length, limit = len(ctx.message.text), MAX_COMMAND_LENGTH
            return Response(document(say(language, "error.too_long", length=length, limit=limit)))
        words = text.split()
        if not words:
            return Response(document(say(language, "error.empty_command", help=help_code)))
        cmd, used = self.registry.lookup([w.lower() for w in words[:2]])
        if cmd is None:
            typed = words[0][:40]  # echoed back: a pasted wall of text is not
            suggestion = self.registry.closest(typed.lower())
            if suggestion:
                return Response(document(say(language, "error.unknown_verb", verb=typed,
                                             suggestion=Code(verb(language, suggestion.name)), help=help_code)))
            return Response(document(say(language, "error.unknown_verb_no_suggestion", verb=typed, help=help_code)))
        if ctx.member.role < cmd.spec.role:
            role = say_text(language, f"role.{cmd.spec.role.label}")
            managers = managers_named(await self.repos.directory.staff(ctx.community.id))
            return Response(document(say(language, "error.role", role=role, command=typed_command(language, self.prefix, cmd.name),
                                         managers=managers or say_text(language, "roles.nobody"))))
        # The text after the verb's words, its own spacing kept.
        split = text.split(None, used)
        rest = split[used] if len(split) > used else ""
        try:
            return await cmd.handler(ctx, cmd.parse(rest))
        except Refusal as refusal:
            # Whatever the handler began is rolled back with the unit: only the answer stays.
            raise _CommandFailed(Response(self._refusal(language, refusal, cmd.usage(self.prefix, language)))) from None
        except Exception as error:
            log.exception("command %r failed", text[:200])
            sorry = document(say(language, "error.internal", command=typed_command(language, self.prefix, cmd.name)))
            raise _CommandFailed(Response(sorry)) from error

    @staticmethod
    def _refusal(language: str, refusal: Refusal, usage: str) -> Document:
        """A refusal as an answer: its sentence, then the usage line if the input was malformed."""
        values = {name: localized_usage(language, value) if isinstance(value, UsageWords) else value
                  for name, value in refusal.values.items()}
        sentence = say(language, refusal.key, **values)
        if not refusal.usage:
            return document(sentence)
        return document((*sentence, *say(language, "error.usage_line", usage=Code(usage))))

    async def _maybe_thread_comment(self, community: CommunityInfo, message: MessageReceived) -> list[Send]:
        if message.thread_root is None or not message.text.strip():
            return []
        anchor = await self.repos.ledger.find_anchor(message.thread_root)
        if anchor is None or anchor.post_id is None or anchor.post_number is None:
            return []
        post = await self.repos.archive.get_post(community.id, anchor.post_number)
        if post is None or post.removed:
            return []
        member = await self.repos.directory.ensure_member(community.id, message.sender)
        response = await self.archive.add_comment(
            community, post.id, post.number, member, message.text, self.clock.now(), _source(message.ref)
        )
        return await self._answer(message, response)

    # -- reactions and buttons -------------------------------------------------

    async def _on_reaction(self, community: CommunityInfo, event: ReactionAdded | ReactionRemoved) -> list[Send]:
        emoji = normalize_emoji(event.emoji)
        added = isinstance(event, ReactionAdded)
        anchor = await self.repos.ledger.find_anchor(event.target)
        member = await self.repos.directory.ensure_member(community.id, event.sender)
        now = self.clock.now()
        if anchor is not None and anchor.event_number is not None and emoji == JOIN_EMOJI:
            sign = self.events.sign_up if added else self.events.sign_off
            response = await sign(community, member, anchor.event_number, now, self.prefix)
            return self._privately(event.target.room, event.sender, response, None)
        if anchor is not None and anchor.post_id is not None:
            await self.archive.react(anchor.post_id, member, emoji, added, now)
            return []
        if isinstance(event, ReactionAdded) and emoji == BOOKMARK and event.target_message is not None:
            response = await self.archive.archive_message(community, member, event.target_message, (), now)
            return self._in_room(response, event.target.room, reply_to=event.target.message_id)
        return []

    async def _on_button(self, community: CommunityInfo, pressed: ButtonPressed) -> list[Send]:
        number = parse_event_number(pressed.value)
        if pressed.action not in ("join", "leave") or number is None:
            log.warning("unknown button %s=%s", pressed.action, pressed.value)
            return []
        member = await self.repos.directory.ensure_member(community.id, pressed.sender)
        sign = self.events.sign_up if pressed.action == "join" else self.events.sign_off
        now = self.clock.now()
        response = await sign(community, member, number, now, self.prefix)
        sends = self._privately(pressed.message.room, pressed.sender, response, pressed.reply_handle)
        # The announcement shows the seats left: refresh it where it was pressed.
        details = await self.repos.events.get_event(community.id, number)
        if details is not None:
            room = pressed.message.room
            announcement = self.events.announcement(community, details.info, self.prefix, now)
            sends.append(Outgoing(room.platform, Kind.UPDATE, announcement, room_id=room.room_id,
                                  target=pressed.message.message_id, reply_handle=pressed.reply_handle))
        return sends

    # -- the web pages --------------------------------------------------------

    async def act_on_web(self, community: CommunityInfo, member: MemberInfo, action: str, number: int) -> Document:
        """Join, leave or note interest in a coffee table from its web page:
        the same decision as in chat, in one unit of work, so there is one
        capacity and one waitlist whatever the way in. Whoever it promotes is
        told in chat; the member's own answer comes back to be shown on the page."""
        now = self.clock.now()
        answer: list[Document] = []

        async def decide() -> list[Send]:
            if action == "join":
                response = await self.events.sign_up(community, member, number, now, self.prefix)
            elif action == "leave":
                response = await self.events.sign_off(community, member, number, now, self.prefix)
            else:
                response = await self.events.note_interest(community, member, number, now, self.prefix)
            answer[:] = [response.doc] if response.doc is not None else []
            return list(response.notices)

        await self._decide(community, decide, via="web")
        return answer[0] if answer else Document(())

    # -- answers -------------------------------------------------------------

    async def _answer(self, message: Incoming, response: Response) -> list[Send]:
        """A reply to a message, in its room (and thread), plus its notices."""
        if not isinstance(message, MessageReceived):
            return list(response.notices)
        if response.private:
            return self._privately(message.ref.room, message.sender, response, message.reply_handle)
        thread = message.thread_root.message_id if message.thread_root else None
        return self._in_room(response, message.ref.room, reply_to=message.ref.message_id, thread_root=thread,
                             reply_handle=message.reply_handle)

    @staticmethod
    def _in_room(response: Response, room: RoomRef, *, reply_to: str | None = None, thread_root: str | None = None,
                 reply_handle: str | None = None) -> list[Send]:
        sends: list[Send] = []
        if response.doc is not None:
            sends.append(Outgoing(room.platform, Kind.ROOM, response.doc, room_id=room.room_id, reply_to=reply_to,
                                  thread_root=thread_root, attachment=response.attachment, anchor=response.anchor,
                                  reply_handle=reply_handle))
        sends.extend(response.notices)
        return sends

    @staticmethod
    def _privately(room: RoomRef, who: Actor, response: Response, reply_handle: str | None) -> list[Send]:
        """Reactions and buttons are answered privately (ephemeral where the
        platform has it, else by DM): the room stays quiet."""
        sends: list[Send] = []
        if response.doc is not None:
            sends.append(Outgoing(room.platform, Kind.PRIVATE, response.doc, room_id=room.room_id,
                                  user_id=who.user_id, reply_handle=reply_handle))
        sends.extend(response.notices)
        return sends

    async def _addressed(self, sends: Sequence[Send], community: CommunityInfo) -> list[Outgoing]:
        """Every message with its platform: a member's notice goes to the
        first of their identities on a platform this process serves (else
        their first identity: another process may serve it), written in the
        language they chose, else the community's."""
        members = [s.member_id for s in sends if isinstance(s, DirectNotice)]
        recipients = await self.repos.directory.recipients(members) if members else {}
        # A notice to many (a reminder, a digest) is written once per language, not per member.
        written: dict[tuple[Compose, str], Document] = {}
        addressed: list[Outgoing] = []
        for send in sends:
            if isinstance(send, Outgoing):
                addressed.append(send)
                continue
            recipient = recipients.get(send.member_id)
            if recipient is None:
                log.warning("no way to reach member %s privately", send.member_id)
                continue
            served = [i for i in recipient.identities if i[0] in self.platforms] or recipient.identities
            platform, user_id = served[0]
            language = recipient.language or community.language
            if (send.compose, language) not in written:
                written[send.compose, language] = send.compose(language)
            addressed.append(Outgoing(platform, Kind.DIRECT, written[send.compose, language], user_id=user_id,
                                      key=send.key, expires_at=send.expires_at, attachment=send.attachment))
        return addressed
