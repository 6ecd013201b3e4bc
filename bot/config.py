"""The configuration file: TOML read into frozen pydantic models.

Every problem in a file is reported at once, one line each, as
``dotted.key: what is wrong`` (e.g. ``communities[0].timezone: unknown time
zone "Europe/Amsterdm"``), so a user can fix a file in one pass.

Scalar keys of ``[bot]``, ``[matrix]``, ``[slack]``, ``[console]``, ``[ops]`` and ``[web]`` may come
from environment variables ``KENNISCAFE_<SECTION>_<KEY>``, which win over the
file, so secrets need not be written into it.
"""

from __future__ import annotations

import difflib
import getpass
import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

__all__ = [
    "BotSettings",
    "Community",
    "ConfigError",
    "ConsoleSettings",
    "DigestSchedule",
    "MatrixSettings",
    "OpsSettings",
    "Settings",
    "SlackSettings",
    "WebSettings",
    "check_config_file",
    "default_settings",
    "load_settings",
    "parse_duration",
    "platform_of",
]

DEFAULT_COMMUNITY_NAME = "Kenniscafé"
ENV_PREFIX = "KENNISCAFE"

_MATRIX_ID = re.compile(r"[@!#][^:\s]+:\S+")
_MATRIX_USER_ID = re.compile(r"@[^:\s]+:\S+")
_SLACK_ID = re.compile(r"[UWCGD][A-Z0-9]{8,}")
_DURATION = re.compile(r"(\d+)\s*([dhm])", re.IGNORECASE)
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_DIGEST = re.compile(r"([a-z]{3})\s+(\d{1,2}):(\d{2})", re.IGNORECASE)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENV_BOOLS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class DigestSchedule(NamedTuple):
    """When the weekly digest goes out, in the community's time zone."""

    weekday: int  # 0 = Monday, as date.weekday() and APScheduler's day_of_week
    at: time


def platform_of(external_id: str) -> str:
    """Return "matrix", "slack" or "console" for an id from ``managers``/``rooms``.

    Matrix ids are ``@user:server``, ``!room:server`` or ``#alias:server``;
    Slack ids are ``U``/``W`` (users) or ``C``/``G``/``D`` (channels) followed
    by at least 8 upper-case letters or digits; anything else is a console
    name. ``"*"`` is not an id: callers handle it before asking.
    """
    if _MATRIX_ID.fullmatch(external_id):
        return "matrix"
    if _SLACK_ID.fullmatch(external_id):
        return "slack"
    return "console"


def parse_duration(text: str) -> timedelta:
    """Parse an offset such as "24h", "30m" or "2d"; raise ValueError if it is not one."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f'{_show(text)} is not a duration; write e.g. "24h" or "30m"')
    if int(match[1]) == 0:
        raise ValueError(f"{_show(text)} must be longer than zero")
    return timedelta(**{_DURATION_UNITS[match[2].lower()]: int(match[1])})


def _parse_digest(text: str) -> DigestSchedule | None:
    """Parse "mon 09:00" (or "off", giving None); raise ValueError otherwise."""
    if text.strip().lower() == "off":
        return None
    match = _DIGEST.fullmatch(text.strip())
    if match and match[1].lower() in _WEEKDAYS and int(match[2]) < 24 and int(match[3]) < 60:
        return DigestSchedule(_WEEKDAYS.index(match[1].lower()), time(int(match[2]), int(match[3])))
    raise ValueError(
        f'{_show(text)} is not a digest time; write a weekday and a time like "mon 09:00", or "off"'
    )


# --- field types -------------------------------------------------------------


def _blank_to_none(value: object) -> object:
    # The example file ships secrets as "" so users can see the key; "" means unset.
    return None if value == "" else value


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text.strip().lower()


def _check_digest(text: str) -> str:
    schedule = _parse_digest(text)
    if schedule is None:
        return "off"
    return f"{_WEEKDAYS[schedule.weekday]} {schedule.at:%H:%M}"


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, available_timezones(), n=1)
        hint = f"; did you mean {_show(close[0])}?" if close else ""
        raise ValueError(f"unknown time zone {_show(name)}{hint}") from None
    return name


def _check_external_id(value: str) -> str:
    # "@rene" or "#general" would silently count as console names and never match.
    if value[:1] in ("@", "!", "#") and not _MATRIX_ID.fullmatch(value):
        raise ValueError(
            f'{_show(value)} is neither a Matrix id (like "@rene:example.org" or'
            ' "!abc:example.org") nor a Slack id (like "U0123ABCD" or "C0123ABCD")'
        )
    return value


def _check_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError(f'{_show(value)} is not a URL; write e.g. "https://example.org"')
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
Url = Annotated[OptionalText, AfterValidator(_check_url)]
ExternalId = Annotated[str, Field(min_length=1), AfterValidator(_check_external_id)]
Duration = Annotated[str, AfterValidator(_check_duration)]


# --- models --------------------------------------------------------------------


class _Strict(BaseModel):
    # strict: TOML has real types, so "yes" for a boolean is a mistake worth reporting;
    # validate_default: the "required when enabled" rules must run on missing keys too.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, validate_default=True)


class BotSettings(_Strict):
    """``[bot]``: settings shared by all communities."""

    prefix: str = Field("!kc", pattern=r"^\S+$")
    database: str = Field("sqlite+aiosqlite:///kenniscafe.db", min_length=1)
    data_dir: str = Field("data", min_length=1)
    # How long a message may wait for delivery (through outages) before it is given up as expired.
    delivery_expiry: Duration = "24h"
    # Each member's commands on Matrix and Slack: a burst at once, then so many a minute (0: no limit).
    commands_per_minute: int = Field(20, ge=0)
    command_burst: int = Field(10, ge=1)
    # Fetch the titles of linked pages so posts are found by them: "off", "public"
    # (internet addresses only) or "all" (the private network's pages too).
    link_titles: Literal["off", "public", "all"] = "off"


class CommunityWeb(_Strict):
    """``[communities.web]``: how a community shows on the web."""

    # Anyone may read the archive, tables and profiles (read-only) without signing in.
    public: bool = False


class Community(_Strict):
    """One ``[[communities]]`` entry."""

    name: str = Field(min_length=1)
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "Europe/Amsterdam"
    language: Literal["en", "nl"] = "en"
    managers: list[ExternalId]
    rooms: list[ExternalId] = ["*"]
    digest_rooms: list[ExternalId] = []
    reminders: list[Duration] = ["24h", "1h"]
    digest: Annotated[str, AfterValidator(_check_digest)] = "mon 09:00"
    # Coffee pairing rounds: a weekday and time (or "off"), every so many weeks.
    pairing: Annotated[str, AfterValidator(_check_digest)] = "mon 10:00"
    pairing_weeks: int = Field(2, ge=1, le=12)
    web: CommunityWeb = Field(default_factory=CommunityWeb)

    @property
    def zone(self) -> ZoneInfo:
        """The community's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def reminder_offsets(self) -> list[timedelta]:
        """``reminders`` as offsets before an event's start, in the file's order."""
        return [parse_duration(text) for text in self.reminders]

    @property
    def digest_schedule(self) -> DigestSchedule | None:
        """Weekday and local time of the digest, or None when ``digest = "off"``."""
        return _parse_digest(self.digest)

    @property
    def pairing_schedule(self) -> DigestSchedule | None:
        """Weekday and local time of pairing rounds, or None when ``pairing = "off"``."""
        return _parse_digest(self.pairing)


class MatrixSettings(_Strict):
    """``[matrix]``: the Matrix adapter."""

    enabled: bool = False
    homeserver: Url = None
    user_id: OptionalText = None
    access_token: OptionalText = None  # before password: the password rule looks at it
    password: OptionalText = None
    device_id: OptionalText = None
    allowed_inviters: list[str] = []
    # Read and answer in end-to-end encrypted rooms (Element's default for
    # private rooms and DMs); the keys are kept in data_dir/matrix-crypto.
    encryption: bool = True
    # Which members' devices are trusted (adapters/matrix/encryption.py):
    # "first-use" trusts a device when first seen and pins its keys, and
    # re-sends it the bot's room keys it asks for; "none" trusts none.
    trust: Literal["first-use", "none"] = "first-use"

    @field_validator("homeserver", "user_id", "password")
    @classmethod
    def _required_when_enabled(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("enabled") is True:
            if info.field_name != "password":
                raise ValueError("required when matrix is enabled")
            if info.data.get("access_token") is None:
                raise ValueError("required when matrix is enabled (or set matrix.access_token)")
        if info.field_name == "user_id" and value and not _MATRIX_USER_ID.fullmatch(value):
            raise ValueError(
                f'{_show(value)} is not a Matrix user id; write e.g. "@bot:example.org"'
            )
        return value


class SlackSettings(_Strict):
    """``[slack]``: the Slack adapter."""

    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    bot_token: OptionalText = None
    app_token: OptionalText = None
    signing_secret: OptionalText = None
    api_url: Url = "https://slack.com/api/"
    http_port: int = Field(3000, ge=1, le=65535)

    @field_validator("bot_token", "app_token", "signing_secret")
    @classmethod
    def _required_when_enabled(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None or info.data.get("enabled") is not True:
            return value
        mode = info.data.get("mode")
        if info.field_name == "bot_token":
            raise ValueError("required when slack is enabled")
        if (info.field_name, mode) in (("app_token", "socket"), ("signing_secret", "http")):
            raise ValueError(f"required when slack is enabled in {mode} mode")
        return value

    @field_validator("api_url")
    @classmethod
    def _with_trailing_slash(cls, value: str | None) -> str | None:
        # Slack's client joins method names onto this URL; without the slash,
        # "…/api" + "chat.postMessage" would lose the "api" segment.
        return value if value is None or value.endswith("/") else value + "/"


class ConsoleSettings(_Strict):
    """``[console]``: the stdin/stdout adapter."""

    user: OptionalText = None


def _check_bind(value: str) -> str:
    host, sep, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # "[::1]:9108"
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f'{_show(value)} is not host:port; write e.g. "127.0.0.1:9108"')
    return value


def _host_and_port(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


class OpsSettings(_Strict):
    """``[ops]``: the health check and metrics endpoint for operators."""

    enabled: bool = False
    # Where /healthz and /metrics listen; port 0 takes a free one.
    bind: Annotated[str, AfterValidator(_check_bind)] = "127.0.0.1:9108"

    @property
    def host_and_port(self) -> tuple[str, int]:
        """``bind`` split into host (without IPv6 brackets) and port."""
        return _host_and_port(self.bind)


def _without_trailing_slash(value: str | None) -> str | None:
    return value.rstrip("/") if value else value


class WebSettings(_Strict):
    """``[web]``: the archive, coffee tables and people as web pages."""

    enabled: bool = False
    # Where the web server listens; port 0 takes a free one.
    bind: Annotated[str, AfterValidator(_check_bind)] = "127.0.0.1:8080"
    # The address members open (behind a proxy: its https:// address); links in
    # chat and sign-in links start with it. Unset: http:// and ``bind``.
    base_url: Annotated[Url, AfterValidator(_without_trailing_slash)] = None

    @property
    def host_and_port(self) -> tuple[str, int]:
        """``bind`` split into host (without IPv6 brackets) and port."""
        return _host_and_port(self.bind)


class Settings(_Strict):
    """The whole configuration."""

    bot: BotSettings = Field(default_factory=BotSettings)
    communities: list[Community] = Field(min_length=1)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    web: WebSettings = Field(default_factory=WebSettings)


# The sections whose scalar keys the environment may set, by their TOML name.
_ENV_SECTIONS: dict[str, type[BaseModel]] = {
    "bot": BotSettings,
    "matrix": MatrixSettings,
    "slack": SlackSettings,
    "console": ConsoleSettings,
    "ops": OpsSettings,
    "web": WebSettings,
}
_SECTIONS: dict[str, type[BaseModel]] = {**_ENV_SECTIONS, "communities": Community}


# --- loading ------------------------------------------------------------------


def load_settings(path: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the config file at ``path``; None means console defaults.

    Environment variables ``KENNISCAFE_<SECTION>_<KEY>`` in ``env`` (default
    ``os.environ``) override the file. Raises ConfigError listing every problem.
    """
    if path is None:
        return default_settings(env)
    return _validate(_read_toml(path), os.environ if env is None else env)


def default_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings with no file: one community "Kenniscafé", managed by the console user.

    The console user is ``KENNISCAFE_CONSOLE_USER`` if set, else the login name,
    else "admin". The environment still applies, so this raises ConfigError
    when it enables an adapter without its keys.
    """
    return _validate({}, os.environ if env is None else env)


def check_config_file(path: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """Return every problem with the config file at ``path``; an empty list means it is fine."""
    try:
        load_settings(path, env)
    except ConfigError as error:
        return error.problems
    return []


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ConfigError([f"{path}: cannot read ({reason})"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib puts the position at the end of its message: "… (at line 3, column 9)".
        message = str(error)
        where = re.search(r" \(at line (\d+), column \d+\)$", message)
        if where:
            path_and_line, message = f"{path}, line {where[1]}", message[: where.start()]
        else:
            path_and_line = str(path)
        raise ConfigError(
            [f"{path_and_line}: not valid TOML: {message[:1].lower()}{message[1:]}"]
        ) from None


def _validate(raw: dict[str, Any], env: Mapping[str, str]) -> Settings:
    sources = _apply_env(raw, env)
    if "communities" not in raw:
        raw["communities"] = [{"name": DEFAULT_COMMUNITY_NAME, "managers": [_console_user(raw)]}]
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise ConfigError([_describe(detail, sources) for detail in error.errors()]) from None
    problems = _overlap_problems(settings.communities)
    if problems:
        raise ConfigError(problems)
    return settings


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Overlay ``KENNISCAFE_*`` variables onto ``raw``; return dotted key → variable used."""
    sources: dict[str, str] = {}
    for section, model in _ENV_SECTIONS.items():
        for key, field in model.model_fields.items():
            variable = f"{ENV_PREFIX}_{section}_{key}".upper()
            value = env.get(variable, "")
            # An empty variable counts as unset: `VAR=` in compose files is common.
            if not value or get_origin(field.annotation) is list:
                continue
            table = raw.setdefault(section, {})
            if isinstance(table, dict):  # otherwise the file's own mistake is reported
                table[key] = _from_env(value, field.annotation)
                sources[f"{section}.{key}"] = variable
    return sources


def _from_env(value: str, annotation: Any) -> object:
    # Environment values are all text; convert what we can and leave the rest to
    # validation, which then reports the bad value against its variable.
    if annotation is bool:
        return _ENV_BOOLS.get(value.strip().lower(), value)
    if annotation is int and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return value


def _console_user(raw: dict[str, Any]) -> str:
    console = raw.get("console")
    user = console.get("user") if isinstance(console, dict) else None
    if isinstance(user, str) and user:
        return user
    try:
        return getpass.getuser() or "admin"
    except (OSError, KeyError, ImportError):  # no login name in containers without passwd
        return "admin"


def _overlap_problems(communities: list[Community]) -> list[str]:
    """Rules across communities: unique names, and each room (or "*") in one community."""
    problems: list[str] = []
    names: dict[str, int] = {}
    owners: dict[str, int] = {}
    for i, community in enumerate(communities):
        first = names.setdefault(community.name, i)
        if first != i:
            problems.append(
                f"communities[{i}].name: {_show(community.name)} is already used by communities[{first}]"
            )
        for j, room in enumerate(community.rooms):
            owner = owners.setdefault(room, i)
            if owner != i:
                problems.append(
                    f"communities[{i}].rooms[{j}]: {_show(room)} is already in communities[{owner}];"
                    " a room belongs to one community"
                )
    return problems


# --- turning pydantic errors into one-line problems -----------------------------

_EXPECTED = {
    "string_type": "a string",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "list_type": "a list",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def _describe(detail: ErrorDetails, sources: Mapping[str, str]) -> str:
    loc = detail["loc"]
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    kind, value, ctx = detail["type"], detail["input"], detail.get("ctx", {})
    if kind == "extra_forbidden":
        message = _unknown_key(loc)
    elif kind == "missing":
        message = "required"
    elif kind == "list_type" and isinstance(value, dict) and len(loc) == 1:
        message = f"expected a list: write [[{loc[0]}]], not [{loc[0]}]"
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {_show(value)}"
    elif kind == "literal_error":
        message = f"must be {ctx['expected'].replace(chr(39), chr(34))}, not {_show(value)}"
    elif kind == "value_error":
        message = str(ctx["error"])
    elif kind in ("too_short", "string_too_short"):
        message = "must not be empty"
    elif kind == "string_pattern_mismatch":
        message = f"{_show(value)} must be one word, with no spaces"
    else:  # bounds and the like: pydantic's own sentence is clear enough
        message = f"{detail['msg'][0].lower()}{detail['msg'][1:]}, not {_show(value)}"
    if key in sources:
        message += f" (from {sources[key]})"
    return f"{key}: {message}"


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    model = Settings if len(loc) == 1 else _SECTIONS.get(str(loc[0]), Settings)
    known = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    what = "unknown section" if len(loc) == 1 else "unknown key"
    if close:
        return f"{what}; did you mean {_show(close[0])}?"
    return f"{what}; known ones are {', '.join(known)}"


def _show(value: object) -> str:
    """Show a value as it would look in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return json.dumps(value, ensure_ascii=False, default=str)
