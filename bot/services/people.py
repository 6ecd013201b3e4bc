"""People: roles, profiles, and who knows what."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.args import ArgError, TextArg, within
from bot.commands.registry import Args, Context, Response, command
from bot.domain import Evidence, MemberInfo, Role
from bot.languages import language_name, read_language
from bot.messages import count, languages, platform_name, say, say_text, typed_command
from bot.ports import Directory, People
from bot.refusal import Refusal
from bot.richtext import BulletList, Document, Paragraph, document, inlines, join_inlines
from bot.services.archive import post_ref
from bot.services.events import event_ref
from bot.text import clean_line
from bot.timefmt import format_day

ROLE_WORDS = {
    "member": Role.MEMBER, "lid": Role.MEMBER,
    "organizer": Role.ORGANIZER, "organiser": Role.ORGANIZER, "organisator": Role.ORGANIZER,
    "manager": Role.MANAGER, "beheerder": Role.MANAGER,
}
MAX_TOPIC = 50
MAX_TOPICS = 10
WHO_LIMIT = 5
INTEREST, EXPERTISE = "interest", "expertise"


def parse_topics(text: str) -> tuple[str, ...]:
    """``social media, koffie`` → the topics, each cleaned, without repeats;
    ``-`` alone → none (how a member clears the list)."""
    if text.strip() == "-":
        return ()
    topics = tuple(dict.fromkeys(t for t in (clean_line(part).lstrip("#") for part in text.split(",")) if t))
    if len(topics) > MAX_TOPICS:
        raise ArgError("arg.too_many_topics", limit=MAX_TOPICS)
    for topic in topics:
        within(topic, "<topic>", MAX_TOPIC)
    return topics


class PeopleService:
    """Commands about the members of a community."""

    def __init__(self, directory: Directory, people: People) -> None:
        self.directory = directory
        self.people = people

    # -- roles -----------------------------------------------------------------

    @command("role", TextArg("member", shown="<member> member|organizer|manager"), role=Role.MANAGER)
    async def role(self, ctx: Context, args: Args) -> Response:
        """Give a member a role: member, organizer or manager."""
        # The role is the last word: a display name may have spaces.
        words = str(args.get("member")).rsplit(maxsplit=1)
        if len(words) != 2:
            raise ArgError("arg.role_usage")
        name, wanted = words
        role = ROLE_WORDS.get(wanted.casefold())
        if role is None:
            raise ArgError("arg.bad_role", token=wanted[:20])
        member = await self.known(ctx, name)
        label = say_text(ctx.language, f"role.{role.label}")
        if member.role == role:
            return Response(document(say(ctx.language, "role.already", name=member.display_name, role=label)))
        if member.role == Role.MANAGER and role < Role.MANAGER:
            managers = [m for m in await self.directory.staff(ctx.community.id) if m.role == Role.MANAGER]
            if len(managers) <= 1:
                raise Refusal("role.last_manager")
        await self.directory.set_role(ctx.community.id, member.id, role)
        return Response(document(say(ctx.language, "role.set", name=member.display_name, role=label)))

    @command("roles")
    async def roles(self, ctx: Context, args: Args) -> Response:
        """Who the managers and organizers are."""
        staff = await self.directory.staff(ctx.community.id)
        nobody = say_text(ctx.language, "roles.nobody")
        managers = ", ".join(m.display_name for m in staff if m.role == Role.MANAGER) or nobody
        organizers = ", ".join(m.display_name for m in staff if m.role == Role.ORGANIZER) or nobody
        return Response(document(say(ctx.language, "roles.list", managers=managers, organizers=organizers)))

    # -- profiles --------------------------------------------------------------

    @command("me")
    async def me(self, ctx: Context, args: Args) -> Response:
        """Your profile: what the community knows about you."""
        return Response(await self._profile(ctx, ctx.member, own=True))

    @command("me interests", TextArg("topics"))
    async def interests(self, ctx: Context, args: Args) -> Response:
        """Set your interests (comma-separated; `-` clears them)."""
        return await self._set_topics(ctx, INTEREST, args.get("topics"))

    @command("me expertise", TextArg("topics"))
    async def expertise(self, ctx: Context, args: Args) -> Response:
        """Set your expertise (comma-separated; `-` clears it)."""
        return await self._set_topics(ctx, EXPERTISE, args.get("topics"))

    @command("me language", TextArg("language", shown="|".join((*languages(), "-"))))
    async def language(self, ctx: Context, args: Args) -> Response:
        """Choose the language I write to you in; `-` follows the community's."""
        wanted = str(args.get("language"))
        code = read_language(wanted)
        if code is None:
            choices = ", ".join(f"{c} ({language_name(c, ctx.language)})" for c in languages())
            raise Refusal("me.language_unknown", wanted=clean_line(wanted)[:40], choices=choices)
        await self.directory.set_language(ctx.member.id, code or None)
        lang = code or ctx.community.language  # the answer is already in the new language
        if code:
            return Response(document(say(lang, "me.language_set", language=language_name(lang, lang))))
        return Response(document(say(lang, "me.language_default", language=language_name(lang, lang))))

    @command("whois", TextArg("member"))
    async def whois(self, ctx: Context, args: Args) -> Response:
        """A member's profile, recent posts and coffee tables."""
        member = await self.known(ctx, str(args.get("member")))
        return Response(await self._profile(ctx, member, own=False))

    @command("who", TextArg("topic", limit=MAX_TOPIC))
    async def who(self, ctx: Context, args: Args) -> Response:
        """The members most likely to know about a topic, and why."""
        topic = clean_line(str(args.get("topic"))).lstrip("#")
        words = topic.split()
        found = await self.people.who(ctx.community.id, topic, words, WHO_LIMIT, ctx.now)
        if not found:
            return Response(document(say(ctx.language, "who.none", topic=topic,
                                         expertise=typed_command(ctx.language, ctx.prefix, "me expertise", topic))))
        items = tuple(
            (*inlines(f"{e.name} — "), *join_inlines((inlines(r) for r in self.reasons(ctx.language, e, topic)), ", "))
            for e in found
        )
        return Response(document(say(ctx.language, "who.header", topic=topic), BulletList(items)))

    # -- shared ----------------------------------------------------------------

    async def known(self, ctx: Context, name: str) -> MemberInfo:
        """The member ``name`` stands for (``@name``, a platform id, a display
        name), or a refusal saying so."""
        member = await self.directory.find_member(ctx.community.id, name)
        if member is None:
            raise Refusal("member.unknown", name=name[:80])
        return member

    @staticmethod
    def reasons(language: str, evidence: Evidence, topic: str) -> list[str]:
        """Why a member is listed, one phrase per kind of evidence."""
        tag = "".join(ch for ch in topic.casefold() if ch.isalnum() or ch == "-")
        reasons = []
        if evidence.expertise:
            reasons.append(say_text(language, "who.expertise", topic=topic))
        if evidence.tagged_posts:
            reasons.append(say_text(language, "who.tagged", posts=count(language, "post", evidence.tagged_posts),
                                    tag=f"#{tag}"))
        if evidence.other_posts:
            reasons.append(say_text(language, "who.written", posts=count(language, "post", evidence.other_posts)))
        if evidence.tables:
            reasons.append(say_text(language, "who.tables", n=evidence.tables))
        if evidence.reactions:
            reasons.append(say_text(language, "who.reactions", reactions=count(language, "reaction", evidence.reactions)))
        if evidence.comments:
            reasons.append(say_text(language, "who.comments", comments=count(language, "comment", evidence.comments)))
        if evidence.interest:
            reasons.append(say_text(language, "who.interest", topic=topic))
        return reasons

    async def _set_topics(self, ctx: Context, kind: str, text: str) -> Response:
        topics = parse_topics(text)
        await self.people.set_topics(ctx.member.id, kind, topics)
        shown = ", ".join(topics) or say_text(ctx.language, "me.none")
        return Response(document(say(ctx.language, f"me.{kind}_set", topics=shown)))

    async def _profile(self, ctx: Context, member: MemberInfo, *, own: bool) -> Document:
        profile = await self.people.profile(ctx.community.id, member, ctx.now)
        lang, nothing = ctx.language, say_text(ctx.language, "me.nothing")
        role = say_text(lang, f"role.{member.role.label}")
        lines: list[Paragraph | BulletList] = [
            Paragraph(say(lang, "me.header", name=member.display_name, role=role,
                          platforms=", ".join(platform_name(lang, p) for p in profile.platforms) or nothing)),
            Paragraph(say(lang, "me.topics", expertise=", ".join(profile.expertise) or nothing,
                          interests=", ".join(profile.interests) or nothing)),
            Paragraph(say(lang, "me.activity", posts=count(lang, "post", profile.post_count),
                          tables=profile.table_count)),
        ]
        if profile.recent_posts:
            lines.append(BulletList(tuple(
                say(lang, "list.item", ref=post_ref(p.number), title=p.title, author=p.author_name,
                    date=format_day(p.created_at, ctx.community.timezone, lang, now=ctx.now))
                for p in profile.recent_posts)))
        if profile.recent_tables:
            lines.append(Paragraph(join_inlines(
                (inlines(event_ref(t.number), f" {t.title} ({format_day(t.starts_at, ctx.community.timezone, lang, ctx.now)})")
                 for t in profile.recent_tables), " · ")))
        if own:
            on, off = say_text(lang, "me.on"), say_text(lang, "me.off")
            lines.append(Paragraph(say(lang, "me.settings", digest=on if profile.digest_dm else off,
                                       pairing=on if profile.pairing else off,
                                       language=language_name(lang, lang),
                                       change=typed_command(lang, ctx.prefix, "me expertise", "<a, b>"))))
        return Document(tuple(lines))


def managers_named(staff: Sequence[MemberInfo]) -> str:
    """The managers' names, for refusals that send people to them."""
    return ", ".join(m.display_name for m in staff if m.role == Role.MANAGER)

