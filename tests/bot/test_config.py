"""Specification of the configuration file: what loads, and how each mistake is reported."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    DigestSchedule,
    check_config_file,
    default_settings,
    load_settings,
    platform_of,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "bot.example.toml"
NO_ENV: dict[str, str] = {}

MINIMAL = """
[[communities]]
name = "Kenniscafé"
managers = ["rene"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    return check_config_file(write(tmp_path, text), NO_ENV if env is None else env)


# --- what loads ------------------------------------------------------------------


def test_the_example_file_loads_with_the_spec_values() -> None:
    settings = load_settings(EXAMPLE, NO_ENV)
    community = settings.communities[0]
    assert community.name == "Kenniscafé"
    assert community.managers == ["@rene:example.org", "U0123ABCD", "rene"]
    assert community.rooms == ["!abc:example.org", "C0123ABCD", "console"]
    assert settings.matrix.password is None  # "" in the file means unset
    assert settings.slack.mode == "socket"
    assert not settings.matrix.enabled and not settings.slack.enabled


def test_a_minimal_file_gets_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL), NO_ENV)
    assert settings.bot.prefix == "!kc"
    assert settings.bot.database == "sqlite+aiosqlite:///kenniscafe.db"
    assert settings.bot.data_dir == "data"
    community = settings.communities[0]
    assert (community.timezone, community.language) == ("Europe/Amsterdam", "en")
    assert community.rooms == ["*"] and community.digest_rooms == []
    assert community.reminder_offsets == [timedelta(hours=24), timedelta(hours=1)]
    assert community.digest_schedule == DigestSchedule(weekday=0, at=time(9, 0))
    assert settings.slack.api_url == "https://slack.com/api/"
    assert settings.slack.http_port == 3000


def test_reminders_and_digest_are_parsed(tmp_path: Path) -> None:
    text = MINIMAL + 'reminders = ["2d", "30m"]\ndigest = "Fri 16:30"\n'
    community = load_settings(write(tmp_path, text), NO_ENV).communities[0]
    assert community.reminder_offsets == [timedelta(days=2), timedelta(minutes=30)]
    assert community.digest_schedule == DigestSchedule(weekday=4, at=time(16, 30))


def test_digest_off_disables_it(tmp_path: Path) -> None:
    community = load_settings(write(tmp_path, MINIMAL + 'digest = "off"\n'), NO_ENV).communities[0]
    assert community.digest_schedule is None


def test_no_file_means_console_defaults() -> None:
    settings = load_settings(None, {"KENNISCAFE_CONSOLE_USER": "rene"})
    assert settings == default_settings({"KENNISCAFE_CONSOLE_USER": "rene"})
    [community] = settings.communities
    assert community.name == "Kenniscafé"
    assert community.timezone == "Europe/Amsterdam"
    assert community.rooms == ["*"]
    assert community.managers == ["rene"]


def test_a_file_without_communities_gets_the_default_community(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[console]\nuser = "ans"\n'), NO_ENV)
    assert [c.managers for c in settings.communities] == [["ans"]]


def test_without_a_console_user_the_login_name_manages() -> None:
    [manager] = default_settings(NO_ENV).communities[0].managers
    assert manager  # the login name, or "admin" where there is none


# --- the environment ---------------------------------------------------------------


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    text = MINIMAL + '[bot]\ndatabase = "sqlite+aiosqlite:///file.db"\n'
    env = {
        "KENNISCAFE_BOT_DATABASE": "postgresql+asyncpg://db/kc",
        "KENNISCAFE_SLACK_ENABLED": "yes",
        "KENNISCAFE_SLACK_BOT_TOKEN": "xoxb-1",
        "KENNISCAFE_SLACK_APP_TOKEN": "xapp-1",
        "KENNISCAFE_SLACK_HTTP_PORT": "8080",
    }
    settings = load_settings(write(tmp_path, text), env)
    assert settings.bot.database == "postgresql+asyncpg://db/kc"
    assert settings.slack.enabled is True
    assert (settings.slack.bot_token, settings.slack.app_token) == ("xoxb-1", "xapp-1")
    assert settings.slack.http_port == 8080


@pytest.mark.parametrize(("word", "value"), [("1", True), ("On", True), ("no", False)])
def test_booleans_from_the_environment(word: str, value: bool) -> None:
    env = {
        "KENNISCAFE_MATRIX_ENABLED": word,
        "KENNISCAFE_MATRIX_HOMESERVER": "https://m.org",
        "KENNISCAFE_MATRIX_USER_ID": "@kc:m.org",
        "KENNISCAFE_MATRIX_ACCESS_TOKEN": "t",
    }
    assert default_settings(env).matrix.enabled is value


def test_a_bad_environment_value_names_its_variable(tmp_path: Path) -> None:
    assert problems(tmp_path, MINIMAL, {"KENNISCAFE_SLACK_ENABLED": "maybe"}) == [
        'slack.enabled: expected true or false, got "maybe" (from KENNISCAFE_SLACK_ENABLED)'
    ]


# --- rules between keys --------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            '[matrix]\nenabled = true\nuser_id = "@kc:example.org"\npassword = "pw"',
            ["matrix.homeserver: required when matrix is enabled"],
        ),
        (
            '[matrix]\nenabled = true\nhomeserver = "https://example.org"\npassword = "pw"',
            ["matrix.user_id: required when matrix is enabled"],
        ),
        (
            (
                '[matrix]\nenabled = true\nhomeserver = "https://example.org"\n'
                'user_id = "@kc:example.org"\npassword = ""'
            ),
            ["matrix.password: required when matrix is enabled (or set matrix.access_token)"],
        ),
        (
            '[slack]\nenabled = true\napp_token = "xapp-1"',
            ["slack.bot_token: required when slack is enabled"],
        ),
        (
            '[slack]\nenabled = true\nbot_token = "xoxb-1"',
            ["slack.app_token: required when slack is enabled in socket mode"],
        ),
        (
            '[slack]\nenabled = true\nmode = "http"\nbot_token = "xoxb-1"',
            ["slack.signing_secret: required when slack is enabled in http mode"],
        ),
    ],
)
def test_an_enabled_adapter_needs_its_keys(
    tmp_path: Path, section: str, expected: list[str]
) -> None:
    assert problems(tmp_path, MINIMAL + section) == expected


def test_an_access_token_replaces_the_password(tmp_path: Path) -> None:
    text = MINIMAL + (
        '[matrix]\nenabled = true\nhomeserver = "https://example.org"\n'
        'user_id = "@kc:example.org"\naccess_token = "syt_1"\n'
    )
    assert problems(tmp_path, text) == []


def test_a_disabled_adapter_needs_nothing(tmp_path: Path) -> None:
    assert problems(tmp_path, MINIMAL + '[matrix]\n[slack]\nmode = "http"\n') == []


def test_a_room_belongs_to_one_community(tmp_path: Path) -> None:
    text = MINIMAL + '[[communities]]\nname = "Other"\nmanagers = []\n'  # both default to "*"
    assert problems(tmp_path, text) == [
        'communities[1].rooms[0]: "*" is already in communities[0]; a room belongs to one community'
    ]


# --- one clear line per mistake --------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'timezone = "Europe/Amsterdm"',
            (
                'communities[0].timezone: unknown time zone "Europe/Amsterdm";'
                ' did you mean "Europe/Amsterdam"?'
            ),
        ),
        (
            'reminders = ["24"]',
            'communities[0].reminders[0]: "24" is not a duration; write e.g. "24h" or "30m"',
        ),
        (
            'digest = "monday 9am"',
            (
                'communities[0].digest: "monday 9am" is not a digest time;'
                ' write a weekday and a time like "mon 09:00", or "off"'
            ),
        ),
        ('language = "fr"', 'communities[0].language: must be "en" or "nl", not "fr"'),
        ('nmae = "x"', 'communities[0].nmae: unknown key; did you mean "name"?'),
        (
            'rooms = ["#general"]',
            (
                'communities[0].rooms[0]: "#general" is neither a Matrix id'
                ' (like "@rene:example.org" or "!abc:example.org")'
                ' nor a Slack id (like "U0123ABCD" or "C0123ABCD")'
            ),
        ),
    ],
)
def test_a_mistake_in_a_community_is_one_line(tmp_path: Path, line: str, expected: str) -> None:
    assert problems(tmp_path, MINIMAL + line + "\n") == [expected]


def test_an_unknown_key_in_a_section(tmp_path: Path) -> None:
    assert problems(tmp_path, MINIMAL + '[slack]\nbot_tokn = "x"\n') == [
        'slack.bot_tokn: unknown key; did you mean "bot_token"?'
    ]


def test_a_wrong_type_shows_the_value(tmp_path: Path) -> None:
    assert problems(tmp_path, MINIMAL + '[slack]\nenabled = "yes"\n') == [
        'slack.enabled: expected true or false, got "yes"'
    ]


def test_a_toml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, '[bot]\nprefix = "!kc"\ndatabase =\n')
    assert problem.startswith(f"{tmp_path / 'bot.toml'}, line 3: not valid TOML: ")


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nope.toml", NO_ENV)
    assert caught.value.problems == [f"{tmp_path / 'nope.toml'}: no such file"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """
[bot]
prefx = "!kc"

[[communities]]
name = "A"
managers = ["rene"]
timezone = "Mars/Olympus"

[[communities]]
name = "B"
managers = ["ans"]
rooms = ["C0123ABCD"]
reminders = ["1h", "soon"]

[slack]
enabled = true
"""
    assert problems(tmp_path, text) == [
        'bot.prefx: unknown key; did you mean "prefix"?',
        'communities[0].timezone: unknown time zone "Mars/Olympus"',
        'communities[1].reminders[1]: "soon" is not a duration; write e.g. "24h" or "30m"',
        "slack.bot_token: required when slack is enabled",
        "slack.app_token: required when slack is enabled in socket mode",
    ]


# --- ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("external_id", "platform"),
    [
        ("@rene:example.org", "matrix"),
        ("!abc:example.org", "matrix"),
        ("#koffie:example.org", "matrix"),
        ("U0123ABCD", "slack"),
        ("W0123ABCD", "slack"),
        ("C0123ABCD", "slack"),
        ("G0123ABCDEF", "slack"),
        ("D0123ABCD", "slack"),
        ("rene", "console"),
        ("console", "console"),
        ("U0123", "console"),  # too short for Slack
        ("u0123abcd", "console"),  # Slack ids are upper case
    ],
)
def test_platform_of(external_id: str, platform: str) -> None:
    assert platform_of(external_id) == platform
