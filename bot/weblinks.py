"""Addresses of the web pages, for links from chat (`show`, announcements,
the sign-in link of `web`). The web server answers at these paths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class WebLinks:
    """The web pages' addresses under ``base_url`` (no trailing slash). Not
    frozen: without a configured ``base_url`` the server sets it once it
    knows its port (``bind`` may ask for any free one)."""

    base_url: str

    def community(self, community_id: int) -> str:
        """A community's archive."""
        return f"{self.base_url}/c/{community_id}/"

    def post(self, community_id: int, number: int) -> str:
        """A post's page."""
        return f"{self.base_url}/c/{community_id}/posts/{number}"

    def table(self, community_id: int, number: int) -> str:
        """A coffee table's page."""
        return f"{self.base_url}/c/{community_id}/tables/{number}"

    def sign_in(self, token: str) -> str:
        """The page that signs in with a one-time token."""
        return f"{self.base_url}/signin/{token}"
