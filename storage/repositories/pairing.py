"""Coffee pairing on the database: who takes part, who met whom, and the
rounds, each claimed once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col

from bot.domain import Participant
from bot.pairing import Group, pairs_in
from storage.engine import Database
from storage.models import Member, PairingMatch
from storage.repositories.schedule import claim_key
from storage.sql import Sql


class SqlPairing:
    """The Pairing port on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_opt_in(self, member_id: int, on: bool) -> None:
        """Take part in pairing rounds, or not."""
        async with self.db.write() as session:
            await session.execute(update(Member).where(col(Member.id) == member_id).values(pairing_opt_in=on))

    async def taking_part(self, community_id: int) -> dict[int, Participant]:
        """The members who opted in, with their interests and expertise
        (lower case), which pairing prefers to share."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            names = dict(await sql.all(
                "SELECT m.id, m.display_name FROM member m JOIN membership s ON s.member_id = m.id "
                "WHERE s.community_id = :c AND m.pairing_opt_in ORDER BY m.id", {"c": community_id}))
            topics: dict[int, set[str]] = {member_id: set() for member_id in names}
            if names:
                for member_id, topic in await sql.all(
                    f"SELECT member_id, topic FROM membertopic WHERE member_id IN ({', '.join(map(str, names))})"
                ):
                    topics[member_id].add(topic.casefold())
        return {member_id: Participant(member_id, name, frozenset(topics[member_id]))
                for member_id, name in names.items()}

    async def times_met(self, community_id: int) -> Counter[frozenset[int]]:
        """How often each pair of members met in earlier rounds."""
        async with self.db.read() as session:
            rows = await (await Sql.of(session)).all(
                "SELECT member_a_id, member_b_id FROM pairingmatch WHERE community_id = :c", {"c": community_id})
        return Counter(frozenset((a, b)) for a, b in rows)

    async def rounds(self, community_id: int) -> int:
        """How many rounds were held."""
        async with self.db.read() as session:
            rows = await (await Sql.of(session)).all(
                "SELECT count(DISTINCT round_key) FROM pairingmatch WHERE community_id = :c", {"c": community_id})
        return int(rows[0][0])

    async def hold_round(self, community_id: int, key: str, groups: Sequence[Group], at: datetime) -> bool:
        """Claim the round (in the caller's unit of work) and record its
        groups; False when it was held already."""
        async with self.db.write() as session:
            if not await claim_key(session, key, at):
                return False
            for group in groups:
                for pair in pairs_in(group):
                    a, b = sorted(pair)
                    session.add(PairingMatch(community_id=community_id, round_key=key, member_a_id=a,
                                             member_b_id=b, created_at=at))
            return True
