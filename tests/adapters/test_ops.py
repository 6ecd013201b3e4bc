"""Operations: /healthz and Prometheus /metrics on a local port, and log
lines as JSON that never carry a secret (issue 13)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.log_redaction import REDACTED, LogRedaction
from adapters.ops.logs import JsonFormatter
from adapters.ops.metrics import PrometheusObserver
from adapters.ops.server import OpsServer
from adapters.runtime import running_core
from bot.config import ConfigError, Settings, load_settings
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from bot.outgoing import DeliveryFailed
from storage.engine import Database, sqlite_url_for_path
from storage.repositories.health import SqlHealth
from tests.conftest import FakeClock, Transcript, console_on, console_settings
from tests.fakes import RecordingMessenger

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hunter2-not-for-logs"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def with_ops(settings: Settings) -> Settings:
    """``settings`` with /healthz and /metrics on a free local port."""
    ops = settings.ops.model_copy(update={"enabled": True, "bind": "127.0.0.1:0"})
    return settings.model_copy(update={"ops": ops})


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def scrape(url: str) -> Samples:
    status, text = await get(f"{url}/metrics")
    assert status == 200
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@asynccontextmanager
async def console_with_ops(db_path: Path) -> AsyncIterator[tuple[Transcript, str]]:
    async with console_on(db_path, settings=with_ops(console_settings(db_path))) as t:
        assert t.core.ops is not None
        yield t, t.core.ops.url


async def test_metrics_move_after_a_scripted_session(db_path: Path) -> None:
    async with console_with_ops(db_path) as (t, url):
        before = await scrape(url)
        assert value(before, "kenniscafe_events_handled_total", platform="console", outcome="ok") == 0
        await t.say("!kc post Koffie zetten | Eerst het water #koffie")
        await t.say("!kc event new Koffietafel | 2026-12-11 09:30 | Utrecht | 1")
        await t.say("!kc join E1")
        await t.say("!kc join E1", as_user="anna")  # the one seat is taken: waitlisted
        assert "Usage" in await t.say("!kc join")  # a failing command: refused with its usage line
        await t.say("just chatting")
        await t.delivered()
        after = await scrape(url)

    assert value(after, "kenniscafe_events_handled_total", platform="console", outcome="ok") == 5
    assert value(after, "kenniscafe_events_handled_total", platform="console", outcome="refused") == 1
    assert value(after, "kenniscafe_event_handling_seconds_count", platform="console") == 6
    assert value(after, "kenniscafe_signups_total", platform="console", outcome="going") == 1
    assert value(after, "kenniscafe_signups_total", platform="console", outcome="waitlisted") == 1
    printed = sum(line.startswith("[m") and "] bot: " in line for line in t.out.getvalue().splitlines())
    assert printed >= 5
    assert value(after, "kenniscafe_sends_total", platform="console") == printed
    assert not any(name == "kenniscafe_send_failures_total" for name, _ in after)
    assert value(after, "kenniscafe_outbox_messages", status="pending") == 0
    assert value(after, "kenniscafe_outbox_messages", status="sent") == printed
    assert value(after, "kenniscafe_outbox_oldest_pending_age_seconds") == 0
    assert value(after, "kenniscafe_database_up") == 1
    assert ("kenniscafe_scheduler_lag_seconds", frozenset()) in after


async def test_a_repeated_event_counts_as_repeat_and_signs_up_once(db_path: Path) -> None:
    async with console_with_ops(db_path) as (t, url):
        await t.say("!kc event new Koffietafel | 2026-12-11 09:30 | Utrecht | 4")
        room = RoomRef("console", "console")
        join = MessageReceived(Actor("console", "piet", "piet"), MessageRef(room, "x1"), "!kc join E1", event_id="ev-1")
        await t.bot.handle(join)
        await t.bot.handle(join)
        after = await scrape(url)
    assert value(after, "kenniscafe_events_handled_total", platform="console", outcome="repeat") == 1
    assert value(after, "kenniscafe_signups_total", platform="console", outcome="going") == 1


async def test_failed_sends_are_counted_per_platform_and_kind(db_path: Path) -> None:
    async with running_core(with_ops(console_settings(db_path)), FakeClock(), limit_commands=False) as core:
        assert core.ops is not None
        messenger = RecordingMessenger("console")
        messenger.fail["console"] = DeliveryFailed("Slack: channel_not_found", permanent=True)
        core.attach(messenger)
        said = MessageReceived(Actor("console", "anna", "anna"), MessageRef(RoomRef("console", "console"), "m1"),
                               "!kc help", event_id="ev-help")
        await core.handle_and_deliver(said)
        samples = await scrape(core.ops.url)
    assert value(samples, "kenniscafe_send_failures_total", platform="console", kind="permanent") == 1
    assert value(samples, "kenniscafe_sends_total", platform="console") == 0
    assert value(samples, "kenniscafe_outbox_messages", status="failed") == 1


async def test_healthz_is_200_with_the_database_and_503_without_it(db_path: Path, tmp_path: Path) -> None:
    async with console_with_ops(db_path) as (t, url):
        assert t.core.ops is not None
        status, text = await get(f"{url}/healthz")
        assert status == 200, text
        health = json.loads(text)
        assert health["status"] == "ok"
        assert health["database"] == {"ok": True}
        assert health["scheduler"]["ok"] is True and health["scheduler"]["lag_seconds"] >= 0

        t.core.ops.watch("matrix", lambda: False)  # an adapter that lost its connection
        status, text = await get(f"{url}/healthz")
        assert status == 503
        assert json.loads(text)["adapters"] == {"matrix": False}

    # A database that cannot be opened (its path is a folder).
    folder = tmp_path / "not-a-database"
    folder.mkdir()
    broken = Database(sqlite_url_for_path(folder))
    server = OpsServer("127.0.0.1", 0, PrometheusObserver(), SqlHealth(broken), FakeClock())
    await server.start()
    try:
        status, text = await get(f"{server.url}/healthz")
        assert status == 503
        health = json.loads(text)
        assert health["status"] == "unhealthy"
        assert health["database"]["ok"] is False and health["database"]["error"]
        samples = await scrape(server.url)  # still answers, saying the database is down
        assert value(samples, "kenniscafe_database_up") == 0
    finally:
        await server.stop()
        await broken.dispose()


async def test_a_process_standing_by_for_another_that_syncs_is_healthy_and_says_so(db_path: Path) -> None:
    leading = False
    async with console_with_ops(db_path) as (t, url):
        assert t.core.ops is not None
        samples = await scrape(url)
        assert ("kenniscafe_sync_leader", frozenset({("adapter", "matrix")})) not in samples  # no Matrix here
        t.core.ops.watch("matrix", lambda: True)  # standing by counts as connected
        t.core.ops.watch_leadership("matrix", lambda: leading)
        status, text = await get(f"{url}/healthz")
        assert status == 200, text
        assert json.loads(text)["leading"] == {"matrix": False}
        assert value(await scrape(url), "kenniscafe_sync_leader", adapter="matrix") == 0
        leading = True  # took over
        status, text = await get(f"{url}/healthz")
        assert status == 200 and json.loads(text)["leading"] == {"matrix": True}
        samples = await scrape(url)
        assert samples[("kenniscafe_sync_leader", frozenset({("adapter", "matrix")}))] == 1


async def test_several_bots_in_one_process_keep_their_own_metrics(tmp_path: Path) -> None:
    one, two = tmp_path / "one" / "kc.db", tmp_path / "two" / "kc.db"
    async with console_with_ops(one) as (first, first_url), console_with_ops(two) as (_, second_url):
        await first.say("!kc help")
        assert value(await scrape(first_url), "kenniscafe_events_handled_total", platform="console", outcome="ok") == 1
        assert value(await scrape(second_url), "kenniscafe_events_handled_total", platform="console", outcome="ok") == 0


def test_ops_bind_must_be_host_and_port() -> None:
    settings = load_settings(None, {"KENNISCAFE_OPS_ENABLED": "true", "KENNISCAFE_OPS_BIND": "[::1]:9200"})
    assert settings.ops.enabled and settings.ops.host_and_port == ("::1", 9200)
    assert load_settings(None, {}).ops.bind == "127.0.0.1:9108"
    assert not load_settings(None, {}).ops.enabled
    with pytest.raises(ConfigError) as error:
        load_settings(None, {"KENNISCAFE_OPS_BIND": "localhost"})
    assert error.value.problems == [
        'ops.bind: "localhost" is not host:port; write e.g. "127.0.0.1:9108" (from KENNISCAFE_OPS_BIND)'
    ]


def test_json_lines_keep_secrets_out_of_messages_fields_and_tracebacks() -> None:
    redaction = LogRedaction()
    redaction.add([SECRET])
    redaction.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(redaction.redact))
    log = logging.getLogger("tests.ops.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("logging in with %s", SECRET, extra={"platform": "matrix", "detail": f"password={SECRET}"})
        try:
            raise RuntimeError(f"refused {SECRET}")
        except RuntimeError:
            log.exception("it failed")
    finally:
        log.removeHandler(handler)
        redaction.uninstall()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert SECRET not in stream.getvalue()
    assert {"time", "level", "logger", "message"} <= first.keys()
    assert first["message"] == f"logging in with {REDACTED}" and first["platform"] == "matrix"
    assert first["level"] == "WARNING" and first["logger"] == "tests.ops.json"
    assert "RuntimeError" in second["exception"]


async def test_kenniscafe_run_logs_json_serves_metrics_and_hides_secrets(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f"""
[bot]
database = "{sqlite_url_for_path(tmp_path / 'kc.db')}"
[[communities]]
name = "Kenniscafé"
managers = ["rene"]
rooms = ["console"]
[matrix]
password = "{SECRET}"
[ops]
enabled = true
bind = "127.0.0.1:0"
""", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "KENNISCAFE_CONSOLE_USER": "rene"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "run", "--config", str(config), "--log-format", "json",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path, env=env,
    )
    assert process.stdin and process.stdout and process.stderr
    errors: list[str] = []
    try:
        url = await asyncio.wait_for(_ops_url(process.stderr, errors), 60)
        process.stdin.write(f"!kc post Koffie | {SECRET} #x\n!kc join\n!kc help\n".encode())
        await process.stdin.drain()
        out = await asyncio.wait_for(_until(process.stdout, "bot: Commands"), 30)
        samples = await scrape(url)
        status, text = await get(f"{url}/healthz")
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 30)
        errors += (await process.stderr.read()).decode().splitlines()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, "\n".join(errors)
    assert "Saved #1" in out
    assert value(samples, "kenniscafe_events_handled_total", platform="console", outcome="ok") == 2
    assert value(samples, "kenniscafe_events_handled_total", platform="console", outcome="refused") == 1
    assert value(samples, "kenniscafe_sends_total", platform="console") == 3
    assert status == 200 and json.loads(text)["adapters"] == {"console": True}
    records = [json.loads(line) for line in errors]  # every line is one JSON object
    handled = [r for r in records if r["logger"] == "bot.app.handled"]
    assert [(r["platform"], r["event"], r["outcome"]) for r in handled] == [
        ("console", "message", "ok"), ("console", "message", "refused"), ("console", "message", "ok")]
    assert all(r["level"] == "INFO" and r["duration_ms"] >= 0 and r["time"] for r in handled)
    assert SECRET not in "\n".join(errors)


async def _ops_url(stream: asyncio.StreamReader, seen: list[str]) -> str:
    """Read log lines until the ops server says where it listens."""
    while line := (await stream.readline()).decode():
        seen.append(line.rstrip("\n"))
        record: dict[str, Any] = json.loads(line)
        if record["message"].startswith("ops: "):
            return str(record["message"].rsplit(" ", 1)[1])
    raise AssertionError("no ops line in:\n" + "\n".join(seen))


async def _until(stream: asyncio.StreamReader, fragment: str) -> str:
    text = ""
    while fragment not in text:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError(f"{fragment!r} never came:\n{text}")
        text += line
    return text
