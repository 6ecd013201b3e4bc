"""Fixtures for the Matrix tests: one real Synapse per test session, and fresh users on it."""

from __future__ import annotations

import importlib.util
import itertools
import uuid
from collections.abc import Iterator

import pytest

from tests.adapters.matrix.synapse_server import MatrixUser, MatrixUserFactory, SynapseServer


@pytest.fixture(scope="session")
def synapse() -> Iterator[SynapseServer]:
    """A Synapse homeserver on 127.0.0.1, started once for the whole test session."""
    if importlib.util.find_spec("synapse") is None:
        pytest.skip("matrix-synapse is not installed: pip install -e '.[test]'")
    server = SynapseServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


_user_numbers = itertools.count(1)


@pytest.fixture
def matrix_user(synapse: SynapseServer) -> MatrixUserFactory:
    """Register a fresh user with a unique localpart: ``matrix_user("alice", admin=False)``."""

    def register(prefix: str = "user", *, admin: bool = False) -> MatrixUser:
        localpart = f"{prefix}-{next(_user_numbers)}-{uuid.uuid4().hex[:6]}"
        password = uuid.uuid4().hex
        user_id, access_token = synapse.register(localpart, password, admin=admin)
        return MatrixUser(user_id, access_token, password, localpart)

    return register
