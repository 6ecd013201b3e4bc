"""Fixtures for the Slack tests: the local fake Slack, and no proxies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.adapters.slack.fake_slack import FakeSlack


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # slack_sdk sends everything through $HTTPS_PROXY/$HTTP_PROXY (ignoring NO_PROXY):
    # test traffic must go to the fake on 127.0.0.1, never anywhere else.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A fresh fake Slack (Web API and Socket Mode) on a free port."""
    async with FakeSlack() as server:
        yield server
