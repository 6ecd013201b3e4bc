"""A community's data out of one database and into another: export to a
plain document (tables of rows, JSON-ready) and import into an empty
database, so that export → import → export gives the same document.

Nothing in an export is a database id. Members are numbered 1, 2, … in the
order they came; posts and events go by their community numbers (``#12``,
``E3``). What was already sent (reminders, digests, pairing rounds) travels
too, so a moved community is not sent anything twice. The outbox, inbound
bookkeeping and link codes stay behind: they belong to a running bot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from storage.engine import Database, DbSession
from storage.search import index_posts
from storage.sql import Sql, read_stamp, stamp

FORMAT = "kenniscafe-export"
VERSION = 1

Row = dict[str, Any]


class TransferRefused(Exception):
    """The export or import cannot be done; the message says why."""


@dataclass(frozen=True)
class Table:
    """One table of the export: the query that reads it for community :c
    (member columns still database ids), the statement that writes one row
    back, and which columns name a member, a post (by number), an event (by
    number), a moment or a yes/no."""

    name: str
    select: str
    insert: str
    members: tuple[str, ...] = ()
    posts: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    stamps: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


_POSTS = "post p ON p.id = x.post_id AND p.community_id = :c"
_EVENTS = "event e ON e.id = x.event_id AND e.community_id = :c"
_MEMBERS_OF_COMMUNITY = "(SELECT member_id FROM membership WHERE community_id = :c)"
_MEMBER_REFERENCES = " UNION ".join([
    _MEMBERS_OF_COMMUNITY.strip("()"),
    "SELECT author_id FROM post WHERE community_id = :c",
    "SELECT saved_by_id FROM post WHERE community_id = :c",
    "SELECT removed_by_id FROM post WHERE community_id = :c",
    "SELECT x.member_id FROM comment x JOIN " + _POSTS,
    "SELECT x.member_id FROM reaction x JOIN " + _POSTS,
    "SELECT created_by_id FROM event WHERE community_id = :c",
    "SELECT x.member_id FROM signup x JOIN " + _EVENTS,
    "SELECT x.member_id FROM eventinterest x JOIN " + _EVENTS,
    "SELECT member_a_id FROM pairingmatch WHERE community_id = :c",
    "SELECT member_b_id FROM pairingmatch WHERE community_id = :c",
])

# In the order an import writes them: each may refer to those before it.
TABLES: tuple[Table, ...] = (
    Table("rooms", "SELECT platform, external_id AS room, is_digest_room AS digest FROM room "
          "WHERE community_id = :c ORDER BY id",
          "INSERT INTO room (community_id, platform, external_id, is_digest_room) "
          "VALUES (:c, :platform, :room, :digest)", flags=("digest",)),
    Table("members", f"SELECT id AS member, display_name AS name, created_at, digest_dm, pairing_opt_in AS pairing "
          f"FROM member WHERE id IN ({_MEMBER_REFERENCES}) ORDER BY id",
          "INSERT INTO member (display_name, created_at, digest_dm, pairing_opt_in) "
          "VALUES (:name, :created_at, :digest_dm, :pairing)",
          members=("member",), stamps=("created_at",), flags=("digest_dm", "pairing")),
    Table("identities", f"SELECT member_id AS member, platform, external_id AS user_id, display_name AS name, "
          f"created_at FROM identity WHERE member_id IN {_MEMBERS_OF_COMMUNITY} ORDER BY id",
          "INSERT INTO identity (member_id, platform, external_id, display_name, created_at) "
          "VALUES (:member, :platform, :user_id, :name, :created_at)", members=("member",), stamps=("created_at",)),
    Table("memberships", "SELECT member_id AS member, role, joined_at FROM membership WHERE community_id = :c "
          "ORDER BY id",
          "INSERT INTO membership (community_id, member_id, role, joined_at) VALUES (:c, :member, :role, :joined_at)",
          members=("member",), stamps=("joined_at",)),
    Table("topics", f"SELECT member_id AS member, kind, topic FROM membertopic WHERE member_id IN "
          f"{_MEMBERS_OF_COMMUNITY} ORDER BY id",
          "INSERT INTO membertopic (member_id, kind, topic) VALUES (:member, :kind, :topic)", members=("member",)),
    Table("tags", "SELECT name FROM tag WHERE community_id = :c ORDER BY id",
          "INSERT INTO tag (community_id, name) VALUES (:c, :name)"),
    Table("posts", "SELECT number AS post, title, body, author_id AS author, saved_by_id AS saved_by, source_platform, "
          "source_room, source_message_id, created_at, updated_at, removed_at, removed_by_id AS removed_by "
          "FROM post WHERE community_id = :c ORDER BY id",
          "INSERT INTO post (community_id, number, title, body, author_id, saved_by_id, source_platform, source_room, "
          "source_message_id, created_at, updated_at, removed_at, removed_by_id) VALUES (:c, :post, :title, :body, "
          ":author, :saved_by, :source_platform, :source_room, :source_message_id, :created_at, :updated_at, "
          ":removed_at, :removed_by)",
          members=("author", "saved_by", "removed_by"), stamps=("created_at", "updated_at", "removed_at")),
    Table("post_tags", "SELECT p.number AS post, t.name AS tag FROM posttag x JOIN " + _POSTS
          + " JOIN tag t ON t.id = x.tag_id ORDER BY p.id, t.id",
          "INSERT INTO posttag (post_id, tag_id) SELECT :post, id FROM tag WHERE community_id = :c AND name = :tag",
          posts=("post",)),
    Table("post_links", "SELECT p.number AS post, x.position, x.url FROM postlink x JOIN " + _POSTS
          + " ORDER BY x.id",
          "INSERT INTO postlink (post_id, position, url) VALUES (:post, :position, :url)", posts=("post",)),
    Table("comments", "SELECT p.number AS post, x.member_id AS member, x.body, x.created_at, x.source_platform, "
          "x.source_room, x.source_message_id FROM comment x JOIN " + _POSTS + " ORDER BY x.id",
          "INSERT INTO comment (post_id, member_id, body, created_at, source_platform, source_room, source_message_id) "
          "VALUES (:post, :member, :body, :created_at, :source_platform, :source_room, :source_message_id)",
          members=("member",), posts=("post",), stamps=("created_at",)),
    Table("reactions", "SELECT p.number AS post, x.member_id AS member, x.emoji, x.created_at FROM reaction x JOIN "
          + _POSTS + " ORDER BY x.id",
          "INSERT INTO reaction (post_id, member_id, emoji, created_at) VALUES (:post, :member, :emoji, :created_at)",
          members=("member",), posts=("post",), stamps=("created_at",)),
    Table("events", "SELECT x.number AS event, x.title, x.starts_at, x.location, x.capacity, x.status, "
          "x.cancel_reason, f.number AS follow_up_of, x.created_by_id AS created_by, x.created_at, x.updated_at, "
          "x.time_set_at FROM event x LEFT JOIN event f ON f.id = x.follow_up_of_id WHERE x.community_id = :c "
          "ORDER BY x.id",
          "INSERT INTO event (community_id, number, title, starts_at, location, capacity, status, cancel_reason, "
          "follow_up_of_id, created_by_id, created_at, updated_at, time_set_at) VALUES (:c, :event, :title, "
          ":starts_at, :location, :capacity, :status, :cancel_reason, (SELECT id FROM event WHERE community_id = :c "
          "AND number = :follow_up_of), :created_by, :created_at, :updated_at, :time_set_at)",
          members=("created_by",), stamps=("starts_at", "created_at", "updated_at", "time_set_at")),
    Table("signups", "SELECT e.number AS event, x.member_id AS member, x.state, x.queue_seq, x.queued_at, "
          "x.updated_at, x.no_show FROM signup x JOIN " + _EVENTS + " ORDER BY x.id",
          "INSERT INTO signup (event_id, member_id, state, queue_seq, queued_at, updated_at, no_show) "
          "VALUES (:event, :member, :state, :queue_seq, :queued_at, :updated_at, :no_show)",
          members=("member",), events=("event",), stamps=("queued_at", "updated_at"), flags=("no_show",)),
    Table("interest", "SELECT e.number AS event, x.member_id AS member, x.created_at, x.notified_at "
          "FROM eventinterest x JOIN " + _EVENTS + " ORDER BY e.id, x.created_at, x.member_id",
          "INSERT INTO eventinterest (event_id, member_id, created_at, notified_at) "
          "VALUES (:event, :member, :created_at, :notified_at)",
          members=("member",), events=("event",), stamps=("created_at", "notified_at")),
    Table("anchors", "SELECT x.platform, x.room_external_id AS room, x.message_id, p.number AS post, "
          "e.number AS event, x.created_at FROM messageanchor x LEFT JOIN " + _POSTS + " LEFT JOIN " + _EVENTS
          + " WHERE p.id IS NOT NULL OR e.id IS NOT NULL ORDER BY x.id",
          "INSERT INTO messageanchor (platform, room_external_id, message_id, post_id, event_id, created_at) "
          "VALUES (:platform, :room, :message_id, :post, :event, :created_at)",
          posts=("post",), events=("event",), stamps=("created_at",)),
    Table("pairings", "SELECT round_key AS round, member_a_id AS a, member_b_id AS b, created_at FROM pairingmatch "
          "WHERE community_id = :c ORDER BY id",
          "INSERT INTO pairingmatch (community_id, round_key, member_a_id, member_b_id, created_at) "
          "VALUES (:c, :round, :a, :b, :created_at)", members=("a", "b"), stamps=("created_at",)),
)


def _neutral_key(key: str, community_id: int, event_numbers: Mapping[int, int]) -> str | None:
    """A ledger key of this community without database ids (None when it is
    not this community's): ``reminder:E3:…``, ``digest:2026-W48``, ``pairing:2026-11-30``."""
    kind, _, rest = key.partition(":")
    owner, _, detail = rest.partition(":")
    if kind in ("digest", "pairing") and owner == str(community_id):
        return f"{kind}:{detail}"
    if kind == "reminder" and owner.isdigit() and int(owner) in event_numbers:
        return f"reminder:E{event_numbers[int(owner)]}:{detail}"
    return None


def _local_key(key: str, community_id: int, event_ids: Mapping[int, int]) -> str:
    """The inverse of :func:`_neutral_key` in the importing database."""
    kind, _, detail = key.partition(":")
    if kind == "reminder":
        number, _, rest = detail.partition(":")
        return f"reminder:{event_ids[int(number.lstrip('E'))]}:{rest}"
    return f"{kind}:{community_id}:{detail}"


def _moment(value: datetime | str | None) -> str | None:
    return None if value is None else read_stamp(value).astimezone(UTC).isoformat()


async def export_community(db: Database, *, name: str | None = None,
                           community_id: int | None = None) -> dict[str, Any]:
    """The community called ``name`` or numbered ``community_id`` (the only
    one when neither is given) as a document."""
    async with db.read() as session:
        sql = await Sql.of(session)
        found = await sql.dicts("SELECT id, name, timezone, language, created_at FROM community ORDER BY id")
        chosen = [c for c in found if name in (None, c["name"]) and community_id in (None, c["id"])]
        if len(chosen) != 1:
            names = ", ".join(c["name"] for c in found) or "none"
            wanted = f"no community called {name!r}" if name is not None else "more than one community"
            raise TransferRefused(f"There is {wanted}; the communities are: {names}.")
        community = chosen[0]
        params = {"c": community.pop("id")}
        community["created_at"] = _moment(community["created_at"])
        document: dict[str, Any] = {"format": FORMAT, "version": VERSION, "community": community}
        numbers: dict[int, int] = {}  # member id → export number
        for table in TABLES:
            rows = await sql.dicts(table.select, params)
            if table.name == "members":
                numbers = {row["member"]: n for n, row in enumerate(rows, 1)}
            document[table.name] = [_outward(table, row, numbers) for row in rows]
        events = dict(await sql.all("SELECT id, number FROM event WHERE community_id = :c", params))
        keys = await sql.dicts("SELECT key, created_at FROM outboundledger WHERE key LIKE 'digest:%' OR "
                               "key LIKE 'pairing:%' OR key LIKE 'reminder:%' ORDER BY id")
        document["sent"] = [{"key": neutral, "created_at": _moment(row["created_at"])} for row in keys
                            if (neutral := _neutral_key(row["key"], params["c"], events)) is not None]
    for pairing in document["pairings"]:
        pairing["round"] = _neutral_key(pairing["round"], params["c"], events)
    return document


def _outward(table: Table, row: Row, numbers: Mapping[int, int]) -> Row:
    """A database row as the export shows it."""
    for column in table.members:
        if row[column] is not None:
            row[column] = numbers[row[column]]
    for column in table.stamps:
        row[column] = _moment(row[column])
    for column in table.flags:
        row[column] = bool(row[column])
    return row


async def import_community(db: Database, document: Mapping[str, Any]) -> str:
    """Write an exported community into an empty database; its name. A
    damaged document is refused and leaves the database as it was."""
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise TransferRefused(f"This is not a Kenniscafé export (format {FORMAT} version {VERSION}).")
    try:
        return await _import(db, document)
    except (KeyError, TypeError, ValueError, AttributeError, sqlite3.Error, SQLAlchemyError) as problem:
        raise TransferRefused(f"The export is incomplete or damaged: {type(problem).__name__}: "
                              f"{str(problem)[:200]}") from problem


async def _import(db: Database, document: Mapping[str, Any]) -> str:
    async with db.write() as session:
        sql = await Sql.of(session)
        if (await sql.all("SELECT count(*) FROM community"))[0][0]:
            raise TransferRefused("The database already holds a community; import into an empty database.")
        community = document["community"]
        created = await sql.all(
            "INSERT INTO community (name, timezone, language, created_at) VALUES (:name, :tz, :lang, :at) RETURNING id",
            {"name": community["name"], "tz": community["timezone"], "lang": community["language"],
             "at": _stamp(session, community["created_at"])})
        c = int(created[0][0])
        ids: dict[str, dict[int, int]] = {"members": {}, "posts": {}, "events": {}}
        for table in TABLES:
            rows = [_inward(session, table, dict(row, c=c), ids) for row in document.get(table.name, [])]
            if table.name == "pairings":
                for row in rows:
                    row["round"] = _local_key(row["round"], c, ids["events"])
            if table.name == "members":
                for row in rows:
                    made = await sql.all(table.insert + " RETURNING id", {k: v for k, v in row.items()
                                                                          if k != "member"})
                    ids["members"][row["member"]] = int(made[0][0])
                continue
            await sql.many(table.insert, rows)
            if table.name in ("posts", "events"):
                ids[table.name] = {int(n): int(i) for n, i in await sql.all(
                    f"SELECT number, id FROM {table.name[:-1]} WHERE community_id = :c", {"c": c})}
        await sql.many("INSERT INTO outboundledger (key, created_at) VALUES (:key, :at)",
                       [{"key": _local_key(row["key"], c, ids["events"]), "at": _stamp(session, row["created_at"])}
                        for row in document.get("sent", [])])
        # Posts, tags and comments went in by plain SQL: index them for search.
        await index_posts(sql, c)
    return str(community["name"])


def _stamp(session: DbSession, value: str | None) -> object:
    return None if value is None else stamp(session, datetime.fromisoformat(value))


def _inward(session: DbSession, table: Table, row: Row, ids: Mapping[str, Mapping[int, int]]) -> Row:
    """An export row as the importing database stores it."""
    for kind, columns in (("members", table.members), ("posts", table.posts), ("events", table.events)):
        for column in columns:
            if row.get(column) is not None and not (table.name == "members" and column == "member"):
                row[column] = ids[kind][row[column]]
    for column in table.stamps:
        row[column] = _stamp(session, row.get(column))
    return row

