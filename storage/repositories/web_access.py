"""Who may see the web pages: one-time sign-in links, browser sessions and
the communities a member belongs to. Only hashes of the secrets are stored."""

from __future__ import annotations

from datetime import datetime

from bot.domain import MemberInfo, Role
from storage.engine import Database
from storage.sql import Sql, stamp


class SqlWebAccess:
    """Sign-in links (the core's WebSignIns port) and sessions on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_sign_in(self, token_hash: str, member_id: int, at: datetime, expires_at: datetime) -> None:
        """Store a sign-in link's hash for the member, valid until ``expires_at``."""
        async with self.db.write() as session:
            await (await Sql.of(session)).run(
                "INSERT INTO websignin (token_hash, member_id, created_at, expires_at) VALUES (:h, :m, :at, :until)",
                {"h": token_hash, "m": member_id, "at": stamp(session, at), "until": stamp(session, expires_at)},
            )

    async def sign_in_member(self, token_hash: str, now: datetime) -> int | None:
        """The member of a valid, unused sign-in link (leaving it unused)."""
        async with self.db.read() as session:
            found = await (await Sql.of(session)).all(
                "SELECT member_id FROM websignin WHERE token_hash = :h AND used_at IS NULL AND expires_at > :now",
                {"h": token_hash, "now": stamp(session, now)})
        return int(found[0][0]) if found else None

    async def use_sign_in(self, token_hash: str, now: datetime) -> int | None:
        """The member of a valid, unused sign-in link, which is used up by
        this; None when it is unknown, used or expired. Of two browsers using
        one link at once, only one gets the member."""
        async with self.db.write() as session:
            sql = await Sql.of(session)
            params = {"h": token_hash, "now": stamp(session, now)}
            found = await sql.all("SELECT member_id FROM websignin WHERE token_hash = :h AND used_at IS NULL "
                                  "AND expires_at > :now", params)
            if not found:
                return None
            # The condition again: on PostgreSQL another writer may have used it meanwhile.
            used = await sql.all("UPDATE websignin SET used_at = :now WHERE token_hash = :h AND used_at IS NULL "
                                 "RETURNING member_id", params)
            return int(used[0][0]) if used else None

    async def add_session(self, token_hash: str, member_id: int, at: datetime, expires_at: datetime) -> None:
        """A signed-in browser, known by its cookie's hash until ``expires_at``."""
        async with self.db.write() as session:
            sql = await Sql.of(session)
            await sql.run("DELETE FROM websession WHERE expires_at <= :now", {"now": stamp(session, at)})
            await sql.run(
                "INSERT INTO websession (token_hash, member_id, created_at, expires_at) VALUES (:h, :m, :at, :until)",
                {"h": token_hash, "m": member_id, "at": stamp(session, at), "until": stamp(session, expires_at)},
            )

    async def session_member(self, token_hash: str, now: datetime) -> int | None:
        """The member signed in with this cookie, while the session lasts."""
        async with self.db.read() as session:
            found = await (await Sql.of(session)).all(
                "SELECT member_id FROM websession WHERE token_hash = :h AND expires_at > :now",
                {"h": token_hash, "now": stamp(session, now)},
            )
        return int(found[0][0]) if found else None

    async def end_session(self, token_hash: str) -> None:
        """Sign a browser out."""
        async with self.db.write() as session:
            await (await Sql.of(session)).run("DELETE FROM websession WHERE token_hash = :h", {"h": token_hash})

    async def memberships(self, member_id: int) -> dict[int, MemberInfo]:
        """The member as seen from each community they belong to, by community id."""
        async with self.db.read() as session:
            rows = await (await Sql.of(session)).all(
                "SELECT j.community_id, m.display_name, j.role, m.language FROM membership j "
                "JOIN member m ON m.id = j.member_id WHERE j.member_id = :m", {"m": member_id})
        return {int(c): MemberInfo(member_id, str(name), Role.parse(role), language) for c, name, role, language in rows}
