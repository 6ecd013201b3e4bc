"""Coffee tables: opening, listing, sign-ups, waitlist, follow-ups and iCal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.commands.args import (
    MAX_REASON,
    EventArg,
    EventForm,
    EventFormArg,
    FieldValueArg,
    TextArg,
)
from bot.commands.registry import Args, Attachment, Context, DirectNotice, Response, command
from bot.dates import WhenProblem, iso_example, parse_when
from bot.domain import (
    Anchor,
    CommunityInfo,
    EventChange,
    EventInfo,
    EventStatus,
    MemberInfo,
    NewEvent,
    Promotion,
    Role,
    SignupResult,
    reading_language,
)
from bot.ics import event_calendar
from bot.messages import say, say_text, typed_command
from bot.ports import Events
from bot.richtext import (
    Bold,
    BulletList,
    Button,
    Buttons,
    Code,
    Document,
    Inline,
    Link,
    Paragraph,
    Text,
    document,
)
from bot.timefmt import format_durations, format_when
from bot.weblinks import WebLinks

UPCOMING_LIMIT = 10
# What a table's state answers to a request it stops (see bot.lifecycle).
_STOPPED_BY = {
    "closed": "event.closed",
    "cancelled": "event.is_cancelled",
    "started": "event.started",
    "ended": "event.ended",
}
JOIN_EMOJI = "✅"


def event_ref(number: int) -> Bold:
    """``E3`` in bold: how an event id is shown."""
    return Bold((Text(f"E{number}"),))


class EventsService:
    """Commands and reactions of the coffee tables."""

    def __init__(self, events: Events, web: WebLinks | None = None) -> None:
        self.events = events
        self.web = web  # the web pages' addresses, when they are on

    # -- organizers ----------------------------------------------------------

    @command("event new", EventFormArg(), role=Role.ORGANIZER)
    async def new(self, ctx: Context, args: Args) -> Response:
        """Open a coffee table and announce it."""
        form: EventForm = args.get("form")
        when = self._when(ctx, form.when)
        if isinstance(when, Response):
            return when
        if form.follow_up_of is not None and await self.events.get_event(ctx.community.id, form.follow_up_of) is None:
            return self._not_found(ctx, form.follow_up_of)
        return await self._open(ctx, form.title, when, form.where, form.capacity, form.follow_up_of)

    @command("event again", EventArg(), TextArg("when"), role=Role.ORGANIZER)
    async def again(self, ctx: Context, args: Args) -> Response:
        """The next one of a coffee table: same title, place and seats, new time."""
        original = await self.events.get_event(ctx.community.id, args.get("event"))
        if original is None:
            return self._not_found(ctx, args.get("event"))
        when = self._when(ctx, args.get("when"))
        if isinstance(when, Response):
            return when
        info = original.info
        return await self._open(ctx, info.title, when, info.location, info.capacity, info.number)

    @command("event edit", EventArg(), FieldValueArg(), role=Role.ORGANIZER)
    async def edit(self, ctx: Context, args: Args) -> Response:
        """Change one field; everyone signed up is told what changed."""
        number: int = args.get("event")
        field, text = args.get("change")
        before = await self.events.get_event(ctx.community.id, number)
        if before is None:
            return self._not_found(ctx, number)
        value: str | datetime | int | None = text  # capacity: read and checked by the argument already
        if field == "starts_at":
            when = self._when(ctx, text)
            if isinstance(when, Response):
                return when
            value = when
        result = await self.events.edit(ctx.community.id, number, EventChange(field, value), ctx.now)
        if (stopped := self._stopped(ctx.language, number, result)) is not None:
            return stopped
        if result.outcome == "capacity_below_going":
            return Response(document(say(ctx.language, "event.capacity_below_going", ref=event_ref(number),
                                         going=before.info.going)))
        assert result.event is not None
        after = result.event

        def change(lang: str) -> str:
            return self._describe_change(ctx.community, lang, ctx.now, field, before.info, after)

        def notice(lang: str) -> Document:
            return document(say(lang, "event.changed_notice", ref=event_ref(number), title=after.title,
                                change=change(lang)))

        participants = await self.events.participants(after.id)
        notices = [DirectNotice(m, notice) for m in participants if m != ctx.member.id]
        notices += self._promotion_notices(ctx.community, result, ctx.now)
        return Response(document(say(ctx.language, "event.edited", ref=event_ref(number), change=change(ctx.language))),
                        notices=tuple(notices))

    @command("event cancel", EventArg(), TextArg("reason", optional=True, limit=MAX_REASON),
             role=Role.ORGANIZER)
    async def cancel(self, ctx: Context, args: Args) -> Response:
        """Cancel; attendees and the waitlist are told."""
        number: int = args.get("event")
        found = await self.events.get_event(ctx.community.id, number)
        if found is None:
            return self._not_found(ctx, number)
        participants = await self.events.participants(found.info.id)
        reason: str = args.get("reason")
        result = await self.events.set_status(ctx.community.id, number, EventStatus.CANCELLED, reason or None, ctx.now)
        if result.outcome == "unchanged":
            return Response(document(say(ctx.language, "event.already_cancelled", ref=event_ref(number))))
        if result.outcome != EventStatus.CANCELLED:  # stopped: the table started or is over
            return self._stopped(ctx.language, number, result) or self._not_found(ctx, number)
        info = found.info

        def notice(lang: str) -> Document:
            reason_text = say_text(lang, "event.cancel_reason", reason=reason) if reason else ""
            return document(say(lang, "event.cancel_notice", ref=event_ref(number), title=info.title,
                                when=self._when_text(ctx.community, info.starts_at, lang, ctx.now),
                                reason=reason_text))

        told = [m for m in participants if m != ctx.member.id]
        return Response(
            document(say(ctx.language, "event.cancelled", ref=event_ref(number), n=len(told))),
            notices=tuple(DirectNotice(m, notice) for m in told),
        )

    @command("event close", EventArg(), role=Role.ORGANIZER)
    async def close(self, ctx: Context, args: Args) -> Response:
        """Stop sign-ups (those signed up keep their place)."""
        return await self._status(ctx, args.get("event"), EventStatus.CLOSED)

    @command("event open", EventArg(), role=Role.ORGANIZER)
    async def reopen(self, ctx: Context, args: Args) -> Response:
        """Resume sign-ups."""
        return await self._status(ctx, args.get("event"), EventStatus.OPEN)

    # -- everyone ------------------------------------------------------------

    @command("events")
    async def upcoming(self, ctx: Context, args: Args) -> Response:
        """Upcoming coffee tables with seats left."""
        found = await self.events.upcoming(ctx.community.id, ctx.now, UPCOMING_LIMIT)
        if not found:
            return Response(document(say(ctx.language, "event.none", new=typed_command(ctx.language, ctx.prefix, "event new"))))
        items = tuple(
            say(ctx.language, "event.list_item", ref=event_ref(e.number), title=e.title,
                when=self._when_text(ctx.community, e.starts_at, ctx.language, ctx.now), where=e.location, seats=self.seats_text(ctx.language, e))
            for e in found
        )
        return Response(Document((Paragraph(say(ctx.language, "event.list_header")), BulletList(items))))

    @command("event", EventArg())
    async def details(self, ctx: Context, args: Args) -> Response:
        """Time in the community's zone, place, attendees and waitlist."""
        number: int = args.get("event")
        found = await self.events.get_event(ctx.community.id, number)
        if found is None:
            return self._not_found(ctx, number)
        info, lang = found.info, ctx.language
        nobody = say_text(lang, "event.nobody")
        lines = [
            say(lang, "event.details_when", ref=event_ref(number), title=info.title,
                when=self._when_text(ctx.community, info.starts_at, lang, ctx.now), zone=ctx.community.timezone),
            say(lang, "event.details_where", where=info.location),
            say(lang, "event.details_going", count=self._count(lang, info), names=", ".join(found.attendees) or nobody),
        ]
        if found.waitlist:
            numbered = ", ".join(f"{i}. {name}" for i, name in enumerate(found.waitlist, 1))
            lines.append(say(lang, "event.details_waitlist", names=numbered))
        if info.status != EventStatus.OPEN:
            status = say_text(lang, f"event.status_{info.status}")
            if info.cancel_reason:
                status += f" ({info.cancel_reason})"
            lines.append(say(lang, "event.details_status", status=status))
        if found.follow_up_of is not None:
            lines.append(say(lang, "event.details_follows", ref=event_ref(found.follow_up_of)))
        return Response(document(*lines), anchor=Anchor(event_id=info.id))

    @command("join", EventArg(), aliases=("ik kom",))
    async def join(self, ctx: Context, args: Args) -> Response:
        """Sign up, or join the waitlist when full."""
        return await self.sign_up(ctx.community, ctx.member, args.get("event"), ctx.now, ctx.prefix)

    @command("leave", EventArg())
    async def leave(self, ctx: Context, args: Args) -> Response:
        """Cancel a sign-up; the first on the waitlist moves up."""
        return await self.sign_off(ctx.community, ctx.member, args.get("event"), ctx.now, ctx.prefix)

    @command("interested", EventArg())
    async def interested(self, ctx: Context, args: Args) -> Response:
        """Hear about the next one of this coffee table."""
        return await self.note_interest(ctx.community, ctx.member, args.get("event"), ctx.now, ctx.prefix)

    @command("ics", EventArg())
    async def ics(self, ctx: Context, args: Args) -> Response:
        """An iCalendar file for the event."""
        number: int = args.get("event")
        found = await self.events.get_event(ctx.community.id, number)
        if found is None:
            return self._not_found(ctx, number)
        content = event_calendar(ctx.community.name, ctx.community.timezone, found.info, ctx.now,
                                 language=ctx.language)
        caption = document(say(ctx.language, "event.ics", ref=event_ref(number), title=found.info.title))
        return Response(caption, attachment=Attachment(f"E{number}.ics", content, "text/calendar"))

    # -- shared with reactions and buttons -----------------------------------

    async def sign_up(self, community: CommunityInfo, member: MemberInfo, number: int, now: datetime,
                      prefix: str) -> Response:
        """Join an event and say how it went."""
        result = await self.events.join(community.id, number, member.id, now)
        return self._signup_reply(community, reading_language(community, member), number, result, prefix)

    async def sign_off(self, community: CommunityInfo, member: MemberInfo, number: int, now: datetime,
                       prefix: str) -> Response:
        """Leave an event; whoever moves up from the waitlist is told."""
        result = await self.events.leave(community.id, number, member.id, now)
        reply = self._signup_reply(community, reading_language(community, member), number, result, prefix)
        return Response(reply.doc, notices=tuple(self._promotion_notices(community, result, now)))

    async def note_interest(self, community: CommunityInfo, member: MemberInfo, number: int, now: datetime,
                            prefix: str) -> Response:
        """Remember that the member wants to hear about the next one."""
        language = reading_language(community, member)
        found = await self.events.get_event(community.id, number)
        if found is None:
            return self._unknown(language, prefix, number)
        added = await self.events.add_interest(found.info.id, member.id, now)
        key = "event.interest_noted" if added else "event.interest_known"
        return Response(document(say(language, key, ref=event_ref(number), title=found.info.title)))

    # -- helpers -------------------------------------------------------------

    async def _open(self, ctx: Context, title: str, when: datetime, where: str, capacity: int | None,
                    follow_up_of: int | None) -> Response:
        info, interested = await self.events.create_event(
            NewEvent(ctx.community.id, title, when, where, capacity, ctx.member.id, ctx.now, follow_up_of)
        )
        # The announcement is for the whole room: in the community's language.
        extra = (say(ctx.community.language, "event.follow_up_told", n=len(interested)),) if interested else ()

        def notice(lang: str) -> Document:
            return document(say(lang, "event.follow_up", title=title, ref=event_ref(info.number),
                                when=self._when_text(ctx.community, when, lang, ctx.now), where=where,
                                join=typed_command(lang, ctx.prefix, "join", f"E{info.number}")))

        return Response(
            self.announcement(ctx.community, info, ctx.prefix, ctx.now, extra=extra), anchor=Anchor(event_id=info.id),
            notices=tuple(DirectNotice(m, notice) for m in interested),
        )

    def announcement(self, community: CommunityInfo, info: EventInfo, prefix: str, now: datetime, *,
                     extra: Sequence[Sequence[Inline]] = ()) -> Document:
        """The announcement of a coffee table, with its Join/Leave buttons, in
        the community's language. A fresh table shows its size; later versions
        (after sign-ups on Slack) show the seats left."""
        lang = community.language
        if info.going == 0 and info.waitlisted == 0 and info.status == EventStatus.OPEN:
            seats = say_text(lang, "event.seats", n=info.capacity) if info.capacity else say_text(lang, "event.unlimited")
        else:
            seats = self.seats_text(lang, info)
        line = say(lang, "event.announce", ref=event_ref(info.number), title=info.title,
                   when=self._when_text(community, info.starts_at, lang, now), where=info.location, seats=seats,
                   join=typed_command(lang, prefix, "join", f"E{info.number}"))
        buttons = Buttons((Button("Join", "join", str(info.number)), Button("Leave", "leave", str(info.number))))
        if self.web is not None:
            extra = (*extra, say(lang, "event.web_page", link=Link(self.web.table(community.id, info.number))))
        return document(line, *extra, buttons)

    async def _status(self, ctx: Context, number: int, status: str) -> Response:
        result = await self.events.set_status(ctx.community.id, number, status, None, ctx.now)
        if result.outcome == "not_found":
            return self._not_found(ctx, number)
        if result.outcome == "unchanged":
            key = "event.already_closed" if status == EventStatus.CLOSED else "event.already_open"
        elif result.outcome == status:
            key = "event.now_closed" if status == EventStatus.CLOSED else "event.now_open"
        else:  # stopped by the table's state
            return self._stopped(ctx.language, number, result) or self._not_found(ctx, number)
        return Response(document(say(ctx.language, key, ref=event_ref(number))))

    @staticmethod
    def _stopped(language: str, number: int, result: SignupResult) -> Response | None:
        """The answer when the table's state stopped the request (:mod:`bot.lifecycle`)."""
        key = _STOPPED_BY.get(result.outcome)
        return Response(document(say(language, key, ref=event_ref(number)))) if key else None

    def _signup_reply(self, community: CommunityInfo, lang: str, number: int, result: SignupResult,
                      prefix: str) -> Response:
        ref = event_ref(number)
        event = result.event
        if event is None:
            return Response(document(say(lang, "event.not_found", ref=f"E{number}", events=typed_command(lang, prefix, "events"))))
        count = self._count(lang, event)
        match result.outcome:
            case "going":
                reminders = (
                    say_text(lang, "event.reminders", offsets=format_durations(community.reminders, lang))
                    if community.reminders else ""
                )
                parts = say(lang, "event.joined", ref=ref, count=count, reminders=reminders)
            case "waitlisted":
                parts = say(lang, "event.waitlisted", ref=ref, position=result.position)
            case "already_going":
                parts = say(lang, "event.already_going", ref=ref, count=count)
            case "already_waitlisted":
                parts = say(lang, "event.already_waitlisted", ref=ref, position=result.position)
            case "closed" | "cancelled" | "started" | "ended":
                parts = say(lang, _STOPPED_BY[result.outcome], ref=ref)
            case "left":
                parts = say(lang, "event.left", ref=ref, count=count)
            case "left_waitlist":
                parts = say(lang, "event.left_waitlist", ref=ref)
            case _:
                parts = say(lang, "event.not_signed_up", ref=ref)
        return Response(document(parts))

    async def notices_for_promotions(self, communities: Mapping[int, CommunityInfo],
                                     promotions: Sequence[tuple[int, Promotion]], now: datetime) -> list[DirectNotice]:
        """Notices for members who got a seat that a merge or an erased
        member freed (each promotion with its community id)."""
        notices: list[DirectNotice] = []
        for community_id, number in dict.fromkeys((c, p.event_number) for c, p in promotions):
            community = communities.get(community_id)
            details = await self.events.get_event(community_id, number) if community else None
            if community is not None and details is not None:
                moved = tuple(p for c, p in promotions if (c, p.event_number) == (community_id, number))
                notices += self._promotion_notices(community, SignupResult("merged", details.info, promoted=moved), now)
        return notices

    def _promotion_notices(self, community: CommunityInfo, result: SignupResult, now: datetime) -> list[DirectNotice]:
        event = result.event
        if event is None:
            return []

        def notice(lang: str) -> Document:
            return document(say(lang, "event.promoted", ref=event_ref(event.number), title=event.title,
                                when=self._when_text(community, event.starts_at, lang, now), where=event.location,
                                count=self._count(lang, event)))

        return [DirectNotice(p.member_id, notice) for p in result.promoted]

    def _describe_change(self, community: CommunityInfo, lang: str, now: datetime, field: str, before: EventInfo,
                         after: EventInfo) -> str:
        unlimited = say_text(lang, "event.unlimited_short")
        if field == "title":
            return say_text(lang, "event.change_title", new=after.title)
        if field == "starts_at":
            return say_text(lang, "event.change_when", new=self._when_text(community, after.starts_at, lang, now),
                            old=self._when_text(community, before.starts_at, lang, now))
        if field == "location":
            return say_text(lang, "event.change_where", new=after.location, old=before.location)
        return say_text(lang, "event.change_capacity", new=after.capacity or unlimited, old=before.capacity or unlimited)

    def _when(self, ctx: Context, text: str) -> datetime | Response:
        # Read the community's way (11-12 is 11 December in a Dutch one), answered in the reader's language.
        parsed = parse_when(text, ctx.community.timezone, ctx.now, ctx.community.language)
        if not isinstance(parsed, WhenProblem):
            return parsed
        example, iso = Code(say_text(ctx.language, "example.when")), Code(iso_example(ctx.now))
        if parsed.moment is not None:
            shown = format_when(parsed.moment, ctx.community.timezone, ctx.language, ctx.now, with_year=True)
            return Response(document(say(ctx.language, "when.past", text=text, shown=shown, example=example)))
        return Response(document(say(ctx.language, f"when.{parsed.reason}", text=text, example=example, iso=iso)))

    @staticmethod
    def _when_text(community: CommunityInfo, moment: datetime, language: str, now: datetime) -> str:
        return format_when(moment, community.timezone, language, now)

    @staticmethod
    def _count(language: str, event: EventInfo) -> str:
        if event.capacity is None:
            return say_text(language, "event.count_unlimited", going=event.going)
        return say_text(language, "event.count", going=event.going, capacity=event.capacity)

    @staticmethod
    def seats_text(language: str, event: EventInfo) -> str:
        """``3 of 12 seats left``, ``full, 2 waiting``, ``sign-ups closed``…"""
        if event.status == EventStatus.CLOSED:
            return say_text(language, "event.status_closed")
        if event.capacity is None:
            return say_text(language, "event.open_seats", n=event.going)
        if event.going >= event.capacity:
            if not event.waitlisted:
                return say_text(language, "event.full_no_waitlist")
            return say_text(language, "event.full", n=event.waitlisted)
        return say_text(language, "event.seats_left", n=event.capacity - event.going, capacity=event.capacity)

    def _not_found(self, ctx: Context, number: int) -> Response:
        return self._unknown(ctx.language, ctx.prefix, number)

    @staticmethod
    def _unknown(language: str, prefix: str, number: int) -> Response:
        return Response(document(say(language, "event.not_found", ref=f"E{number}",
                                     events=typed_command(language, prefix, "events"))))
