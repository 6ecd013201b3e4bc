"""A community's records: its export, and erasing a member's personal data
(the GDPR request).

Forgetting keeps what the community made together — posts, comments,
reactions, past attendance — under the name "a former member", and erases
what was the person's: their name, platform accounts and the ids in them,
profile, settings, pairing history, interest in events, sign-ups for tables
still to come (a freed seat goes to the waitlist), link codes, messages
waiting for them and what the adapters remember about them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import Promotion
from storage.engine import Database
from storage.repositories.events import decide
from storage.signups import LeaveRequest
from storage.sql import Sql, dialect_of, stamp
from storage.transfer import export_community

_ERASE = (
    "DELETE FROM membertopic WHERE member_id = :m",
    "DELETE FROM linkcode WHERE member_id = :m",
    "DELETE FROM eventinterest WHERE member_id = :m",
    "DELETE FROM pairingmatch WHERE member_a_id = :m OR member_b_id = :m",
    "UPDATE membership SET role = 'member' WHERE member_id = :m",
    # The web: signed-in browsers, unused sign-in links, which posts they read, the calendar secret.
    "DELETE FROM websession WHERE member_id = :m",
    "DELETE FROM websignin WHERE member_id = :m",
    "DELETE FROM postview WHERE member_id = :m",
    ("UPDATE member SET display_name = :former, digest_dm = false, pairing_opt_in = false, calendar_token = NULL "
    "WHERE id = :m"),
)


class SqlRecords:
    """The Records port on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def export(self, community_id: int) -> dict[str, Any]:
        """The community's data as an export document."""
        return await export_community(self.db, community_id=community_id)

    async def forget(self, member_id: int, former_name: str, now: datetime) -> list[tuple[int, Promotion]]:
        """Erase a member's personal data (in the current unit of work); the
        promotions their cancelled sign-ups caused, with their community."""
        promotions: list[tuple[int, Promotion]] = []
        async with self.db.write() as session:
            sql = await Sql.of(session)
            ids = {"m": member_id, "former": former_name, "now": stamp(session, now)}
            upcoming = await sql.all(
                "SELECT e.community_id, e.number FROM signup s JOIN event e ON e.id = s.event_id WHERE "
                "s.member_id = :m AND s.state != 'cancelled' AND e.starts_at > :now ORDER BY e.id", ids)
            for community_id, number in upcoming:
                request = LeaveRequest(community_id, number, member_id, now)
                result = await decide(session, request)
                promotions += [(community_id, p) for p in result.promoted]
            accounts = [str(row[0]) for row in await sql.all(
                "SELECT external_id FROM identity WHERE member_id = :m", ids)]
            for account in accounts:
                await self._erase_account(sql, dialect_of(session), account)
            await sql.run("DELETE FROM identity WHERE member_id = :m", ids)
            for statement in _ERASE:
                await sql.run(statement, ids)
        return promotions

    @staticmethod
    async def _erase_account(sql: Sql, dialect: str, account: str) -> None:
        """Messages to a platform account, and what adapters keep about it."""
        contains = "instr(value, :u) > 0" if dialect == "sqlite" else "strpos(value, :u) > 0"
        params = {"u": account, "dm": f"matrix:dm:{account}"}
        await sql.run("DELETE FROM outboxmessage WHERE user_id = :u", params)
        await sql.run(f"DELETE FROM adapterstate WHERE key = :dm OR (key LIKE 'matrix:reaction:%' AND {contains})",
                      params)
