"""Communities, rooms, members and identities."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select

from bot.domain import CommunityInfo, MemberInfo, Recipient, Role
from bot.incoming import Actor, RoomRef
from bot.ports import Clock
from storage.engine import Database, DbSession
from storage.models import Community, Identity, Member, Membership, Room
from storage.search import index_posts
from storage.sql import Sql


def _community_info(row: Community) -> CommunityInfo:
    assert row.id is not None
    return CommunityInfo(row.id, row.name, row.timezone, row.language)


# How long a member looked up once is trusted without asking the database:
# every message needs its sender, and a busy room must not queue on that.
# Another process's role change is seen within this time.
MEMBER_CACHE_SECONDS = 30.0


class SqlDirectory:
    """The Directory port on the database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._members: dict[tuple[int, str, str], tuple[MemberInfo, str, float]] = {}
        self._lookups: dict[tuple[int, str, str], asyncio.Future[MemberInfo]] = {}

    async def ensure_community(self, name: str, timezone: str, language: str) -> CommunityInfo:
        """The community called ``name``, created or updated from config."""
        async with self.db.write() as session:
            row = (await session.execute(select(Community).where(Community.name == name))).scalar_one_or_none()
            relanguaged = row is not None and row.language != language
            if row is None:
                row = Community(name=name, timezone=timezone, language=language, created_at=self.clock.now())
                session.add(row)
            else:
                row.timezone, row.language = timezone, language
            await session.flush()
            if relanguaged:
                # Posts are indexed by their stems in the community's language.
                await index_posts(await Sql.of(session), row.id)
            return _community_info(row)

    async def bind_rooms(
        self, community_id: int, rooms: Sequence[RoomRef], digest_rooms: Sequence[RoomRef]
    ) -> None:
        """Record which rooms belong to the community (and which get digests)."""
        async with self.db.write() as session:
            for room in dict.fromkeys((*rooms, *digest_rooms)):
                row = (
                    await session.execute(
                        select(Room).where(Room.platform == room.platform, Room.external_id == room.room_id)
                    )
                ).scalar_one_or_none()
                if row is None:
                    row = Room(community_id=community_id, platform=room.platform, external_id=room.room_id)
                    session.add(row)
                row.community_id = community_id
                row.is_digest_room = room in digest_rooms

    async def ensure_member(self, community_id: int, actor: Actor, *, at_least: Role = Role.MEMBER) -> MemberInfo:
        """The member behind ``actor``, created on first sight, with at least
        the given role in the community. A changed display name is kept."""
        key = (community_id, actor.platform, actor.user_id)
        cached = self._members.get(key)
        if cached is not None:
            member, name, expires = cached
            if name == actor.display_name and member.role >= at_least and time.monotonic() < expires:
                return member
        # A burst of messages from one new sender asks the database once.
        pending = self._lookups.get(key)
        if pending is not None:
            member = await asyncio.shield(pending)
            if member.role >= at_least:
                return member
        lookup = asyncio.ensure_future(self._look_up(community_id, actor, at_least))
        self._lookups[key] = lookup
        try:
            member = await lookup
        finally:
            self._lookups.pop(key, None)
        self._members[key] = (member, actor.display_name, time.monotonic() + MEMBER_CACHE_SECONDS)
        return member

    async def _look_up(self, community_id: int, actor: Actor, at_least: Role) -> MemberInfo:
        # Nearly every lookup finds an up-to-date member: answer that from a
        # read transaction, so busy rooms do not queue for the write lock.
        async with self.db.read(detached=True) as session:
            known = await self._known_member(session, community_id, actor)
        if known is None or known.role < at_least:
            known = await self._store_member(community_id, actor, at_least)
        return known

    async def _store_member(self, community_id: int, actor: Actor, at_least: Role) -> MemberInfo:
        # Committed on its own, also inside a unit of work: a member is a fact
        # whatever becomes of the command, and the cache must not outlive a rollback.
        async with self.db.write(detached=True) as session:
            now = self.clock.now()
            identity = await self._identity(session, actor.platform, actor.user_id)
            if identity is None:
                member = Member(display_name=actor.display_name, created_at=now)
                session.add(member)
                await session.flush()
                assert member.id is not None
                identity = Identity(
                    member_id=member.id,
                    platform=actor.platform,
                    external_id=actor.user_id,
                    display_name=actor.display_name,
                    created_at=now,
                )
                session.add(identity)
            else:
                member = await session.get_one(Member, identity.member_id)
                if actor.display_name and identity.display_name != actor.display_name:
                    identity.display_name = actor.display_name
                    member.display_name = actor.display_name
            assert member.id is not None
            membership = (
                await session.execute(
                    select(Membership).where(
                        Membership.community_id == community_id, Membership.member_id == member.id
                    )
                )
            ).scalar_one_or_none()
            if membership is None:
                membership = Membership(
                    community_id=community_id, member_id=member.id, role=at_least.label, joined_at=now
                )
                session.add(membership)
            elif Role.parse(membership.role) < at_least:
                membership.role = at_least.label
            return MemberInfo(member.id, member.display_name, Role.parse(membership.role), member.language)

    async def preload(self, community_id: int) -> int:
        """Fill the member cache with the whole community in one query, so the
        first burst after a start does not look its senders up one by one."""
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    sa.select(col(Identity.platform), col(Identity.external_id), col(Identity.display_name),
                              col(Member.id), col(Member.display_name), col(Membership.role), col(Member.language))
                    .join(Member, col(Member.id) == Identity.member_id)
                    .join(Membership, col(Membership.member_id) == Member.id)
                    .where(col(Membership.community_id) == community_id)
                )
            ).all()
        expires = time.monotonic() + MEMBER_CACHE_SECONDS
        for platform, external_id, identity_name, member_id, member_name, role, language in rows:
            member = MemberInfo(int(member_id or 0), member_name, Role.parse(role), language)
            self._members[(community_id, platform, external_id)] = (member, identity_name, expires)
        return len(rows)

    async def find_member(self, community_id: int, name: str) -> MemberInfo | None:
        """A community member by platform id or display name (case-insensitive)."""
        wanted = name.lstrip("@").casefold()
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(Member, Membership.role)
                    .join(Membership, col(Membership.member_id) == Member.id)
                    .join(Identity, col(Identity.member_id) == Member.id)
                    .where(Membership.community_id == community_id)
                    .where(
                        (func.lower(Identity.external_id) == wanted)
                        | (func.lower(Identity.external_id) == "@" + wanted)
                        | (func.lower(Member.display_name) == wanted)
                    )
                    .limit(1)
                )
            ).first()
        if rows is None:
            return None
        member, role = rows
        assert member.id is not None
        return MemberInfo(member.id, member.display_name, Role.parse(role), member.language)

    async def recipients(self, member_ids: Sequence[int]) -> dict[int, Recipient]:
        """How to reach each member privately: identities oldest first, and
        their own language (members without identities are left out)."""
        if not member_ids:
            return {}
        found: dict[int, list[tuple[str, str]]] = {}
        languages: dict[int, str | None] = {}
        async with self.db.read() as session:
            rows = await session.execute(
                select(Identity.member_id, Identity.platform, Identity.external_id, Member.language)
                .join(Member, col(Member.id) == Identity.member_id)
                .where(col(Identity.member_id).in_(list(set(member_ids))))
                .order_by(col(Identity.id))
            )
            for member_id, platform, external_id, language in rows:
                found.setdefault(member_id, []).append((platform, external_id))
                languages[member_id] = language
        return {m: Recipient(tuple(pairs), languages[m]) for m, pairs in found.items()}

    async def language_of(self, platform: str, user_id: str) -> str | None:
        """The language the account's member chose, if any (None: unknown account or no choice)."""
        async with self.db.read() as session:
            return (await session.execute(
                sa.select(col(Member.language)).join(Identity, col(Identity.member_id) == Member.id)
                .where(col(Identity.platform) == platform, col(Identity.external_id) == user_id)
            )).scalar_one_or_none()

    async def set_language(self, member_id: int, language: str | None) -> None:
        """The member's own language (None: follow each community's); seen at
        once by this process, by others within MEMBER_CACHE_SECONDS."""
        async with self.db.write() as session:
            await session.execute(sa.update(Member).where(col(Member.id) == member_id).values(language=language))
        for key, (member, name, expires) in list(self._members.items()):
            if member.id == member_id:
                self._members[key] = (replace(member, language=language), name, expires)

    async def set_role(self, community_id: int, member_id: int, role: Role) -> None:
        """Give a member a role in the community (seen at once by this process;
        other processes see it within MEMBER_CACHE_SECONDS)."""
        async with self.db.write() as session:
            await session.execute(
                sa.update(Membership).where(col(Membership.community_id) == community_id,
                                            col(Membership.member_id) == member_id).values(role=role.label)
            )
        for key, (member, name, expires) in list(self._members.items()):
            if key[0] == community_id and member.id == member_id:
                self._members[key] = (replace(member, role=role), name, expires)

    def forget_cached(self) -> None:
        """Look members up afresh (after identities moved between members)."""
        self._members.clear()

    async def staff(self, community_id: int) -> list[MemberInfo]:
        """The community's managers and organizers, managers first, by name."""
        async with self.db.read() as session:
            rows = (await session.execute(
                select(Member.id, Member.display_name, Membership.role)
                .join(Membership, col(Membership.member_id) == Member.id)
                .where(Membership.community_id == community_id, col(Membership.role) != Role.MEMBER.label)
            )).all()
        staff = [MemberInfo(member_id, name, Role.parse(role)) for member_id, name, role in rows]
        return sorted(staff, key=lambda m: (-m.role, m.display_name.casefold()))

    async def _known_member(self, session: DbSession, community_id: int, actor: Actor) -> MemberInfo | None:
        row = (
            await session.execute(
                sa.select(col(Member.id), col(Member.display_name), col(Identity.display_name), col(Membership.role),
                          col(Member.language))
                .join(Identity, col(Identity.member_id) == Member.id)
                .join(Membership, col(Membership.member_id) == Member.id)
                .where(col(Identity.platform) == actor.platform, col(Identity.external_id) == actor.user_id)
                .where(col(Membership.community_id) == community_id)
            )
        ).first()
        if row is None:
            return None
        member_id, member_name, identity_name, role, language = row
        if actor.display_name and identity_name != actor.display_name:
            return None
        return MemberInfo(member_id, member_name, Role.parse(role), language)

    @staticmethod
    async def _identity(session: DbSession, platform: str, external_id: str) -> Identity | None:
        return (
            await session.execute(
                select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
            )
        ).scalar_one_or_none()
