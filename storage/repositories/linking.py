"""Linking identities: one-time codes, and two members becoming one (or one
identity leaving its member again).

A merge moves everything of the other member to the one kept, in the current
unit of work, without duplicates: identities, memberships (the higher role,
the earlier arrival), posts, comments, reactions, sign-ups (through the
sign-up rules, so a freed seat goes to the waitlist), interest in events,
topics, pairing history and settings.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import Promotion
from storage.engine import Database
from storage.repositories.events import decide
from storage.signups import MergeRequest
from storage.sql import Sql, read_stamp, stamp

_ROLE_RANK = "CASE role WHEN 'manager' THEN 2 WHEN 'organizer' THEN 1 ELSE 0 END"


class SqlLinking:
    """The Linking port on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_code(
        self, code: str, member_id: int, platform: str, at: datetime, expires_at: datetime
    ) -> None:
        """Store a one-time code (a member's earlier codes stop working)."""
        async with self.db.write() as session:
            sql = await Sql.of(session)
            await sql.run("DELETE FROM linkcode WHERE member_id = :m", {"m": member_id})
            await sql.run(
                "INSERT INTO linkcode (code, member_id, platform, created_at, expires_at) "
                "VALUES (:code, :m, :p, :at, :until)",
                {
                    "code": code,
                    "m": member_id,
                    "p": platform,
                    "at": stamp(session, at),
                    "until": stamp(session, expires_at),
                },
            )

    async def take_code(self, code: str, now: datetime) -> tuple[int, str] | None:
        """The member and platform of a valid code, which is used up; None
        when there is no such code or it expired."""
        async with self.db.write() as session:
            sql = await Sql.of(session)
            rows = await sql.all(
                "SELECT member_id, platform, expires_at FROM linkcode WHERE code = :code",
                {"code": code},
            )
            await sql.run(
                "DELETE FROM linkcode WHERE code = :code OR expires_at < :now",
                {"code": code, "now": stamp(session, now)},
            )
        if not rows or read_stamp(rows[0][2]) < now:
            return None
        return int(rows[0][0]), str(rows[0][1])

    async def merge(
        self, keep_id: int, other_id: int, now: datetime
    ) -> list[tuple[int, Promotion]]:
        """Make ``other_id`` part of ``keep_id``; the promotions freed seats
        caused, with their community."""
        promotions: list[tuple[int, Promotion]] = []
        async with self.db.write() as session:
            sql = await Sql.of(session)
            ids = {"keep": keep_id, "other": other_id}
            events = await sql.all(
                "SELECT e.community_id, e.number FROM signup s JOIN event e ON e.id = s.event_id "
                "WHERE s.member_id = :other",
                ids,
            )
            for community_id, number in events:
                request = MergeRequest(community_id, number, keep_id, other_id, now)
                result = await decide(session, request)
                promotions += [(community_id, p) for p in result.promoted]
            statements = [
                "UPDATE identity SET member_id = :keep WHERE member_id = :other",
                # Memberships: the higher role and the earlier arrival, once per community.
                (
                    f"UPDATE membership SET role = (SELECT o.role FROM membership o WHERE o.member_id = :other "
                    f"AND o.community_id = membership.community_id) WHERE member_id = :keep AND EXISTS (SELECT 1 FROM "
                    f"membership o WHERE o.member_id = :other AND o.community_id = membership.community_id AND "
                    f"(CASE o.role WHEN 'manager' THEN 2 WHEN 'organizer' THEN 1 ELSE 0 END) > {_ROLE_RANK})"
                ),
                (
                    "UPDATE membership SET joined_at = (SELECT o.joined_at FROM membership o WHERE o.member_id = :other "
                    "AND o.community_id = membership.community_id) WHERE member_id = :keep AND EXISTS (SELECT 1 FROM "
                    "membership o WHERE o.member_id = :other AND o.community_id = membership.community_id "
                    "AND o.joined_at < membership.joined_at)"
                ),
                (
                    "DELETE FROM membership WHERE member_id = :other AND community_id IN "
                    "(SELECT community_id FROM membership WHERE member_id = :keep)"
                ),
                "UPDATE membership SET member_id = :keep WHERE member_id = :other",
                "UPDATE post SET author_id = :keep WHERE author_id = :other",
                "UPDATE post SET saved_by_id = :keep WHERE saved_by_id = :other",
                "UPDATE post SET removed_by_id = :keep WHERE removed_by_id = :other",
                "UPDATE comment SET member_id = :keep WHERE member_id = :other",
                (
                    "DELETE FROM reaction WHERE member_id = :other AND EXISTS (SELECT 1 FROM reaction k WHERE "
                    "k.member_id = :keep AND k.post_id = reaction.post_id AND k.emoji = reaction.emoji)"
                ),
                "UPDATE reaction SET member_id = :keep WHERE member_id = :other",
                (
                    "DELETE FROM eventinterest WHERE member_id = :other AND event_id IN "
                    "(SELECT event_id FROM eventinterest WHERE member_id = :keep)"
                ),
                "UPDATE eventinterest SET member_id = :keep WHERE member_id = :other",
                "UPDATE event SET created_by_id = :keep WHERE created_by_id = :other",
                (
                    "DELETE FROM membertopic WHERE member_id = :other AND EXISTS (SELECT 1 FROM membertopic k WHERE "
                    "k.member_id = :keep AND k.kind = membertopic.kind AND k.topic = membertopic.topic)"
                ),
                "UPDATE membertopic SET member_id = :keep WHERE member_id = :other",
                # Pairing history: the two never met each other as one person.
                (
                    "DELETE FROM pairingmatch WHERE (member_a_id = :keep AND member_b_id = :other) "
                    "OR (member_a_id = :other AND member_b_id = :keep)"
                ),
                "UPDATE pairingmatch SET member_a_id = :keep WHERE member_a_id = :other",
                "UPDATE pairingmatch SET member_b_id = :keep WHERE member_b_id = :other",
                (
                    "UPDATE member SET digest_dm = (digest_dm OR (SELECT digest_dm FROM member WHERE id = :other)), "
                    "pairing_opt_in = (pairing_opt_in OR (SELECT pairing_opt_in FROM member WHERE id = :other)) "
                    "WHERE id = :keep"
                ),
                "DELETE FROM linkcode WHERE member_id = :other",
                # The web: sessions and links stay valid as the merged member; views count once a day.
                # (The other's calendar feed addresses go with it: the kept member's work.)
                "UPDATE websession SET member_id = :keep WHERE member_id = :other",
                "UPDATE websignin SET member_id = :keep WHERE member_id = :other",
                (
                    "DELETE FROM postview WHERE member_id = :other AND EXISTS (SELECT 1 FROM postview k WHERE "
                    "k.member_id = :keep AND k.post_id = postview.post_id AND k.day = postview.day)"
                ),
                "UPDATE postview SET member_id = :keep WHERE member_id = :other",
                "DELETE FROM member WHERE id = :other",
            ]
            for statement in statements:
                await sql.run(statement, ids)
        return promotions

    async def split(self, platform: str, user_id: str, name: str, at: datetime) -> int | None:
        """Give one identity a member of its own again (with the same
        memberships, as a plain member); the new member id, or None when the
        identity is its member's only one."""
        async with self.db.write() as session:
            sql = await Sql.of(session)
            found = await sql.all(
                "SELECT i.id, i.member_id, (SELECT count(*) FROM identity j WHERE j.member_id = i.member_id) "
                "FROM identity i WHERE i.platform = :p AND i.external_id = :u",
                {"p": platform, "u": user_id},
            )
            if not found or found[0][2] < 2:
                return None
            identity_id, old_member = found[0][0], found[0][1]
            created = await sql.all(
                "INSERT INTO member (display_name, created_at, digest_dm, pairing_opt_in) "
                "VALUES (:name, :at, false, false) RETURNING id",
                {"name": name, "at": stamp(session, at)},
            )
            new_member = int(created[0][0])
            await sql.run(
                "UPDATE identity SET member_id = :new WHERE id = :id",
                {"new": new_member, "id": identity_id},
            )
            await sql.run(
                "INSERT INTO membership (community_id, member_id, role, joined_at) "
                "SELECT community_id, :new, 'member', :at FROM membership WHERE member_id = :old",
                {"new": new_member, "old": old_member, "at": stamp(session, at)},
            )
            return new_member
