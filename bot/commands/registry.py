"""Declared commands: name, aliases, typed arguments, role and help.

Services mark their handler methods with :func:`command`; the registry
collects them from service objects (no global registry), parses arguments
from the declarations, and generates usage lines and help from them.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.commands.args import ArgError, ArgSpec
from bot.domain import Anchor, CommunityInfo, MemberInfo, Role, reading_language
from bot.incoming import MessageReceived
from bot.messages import DEFAULT_LANGUAGE, languages, localized_usage, verb
from bot.outgoing import Attachment, DirectNotice
from bot.richtext import Document

__all__ = ["Args", "Attachment", "Command", "CommandSpec", "Context", "DirectNotice", "Registry", "Response",
           "command"]


@dataclass(frozen=True)
class Context:
    """Who asked what, where and when."""

    community: CommunityInfo
    member: MemberInfo
    message: MessageReceived
    prefix: str
    now: datetime

    @property
    def language(self) -> str:
        """The language of the reply: the asker's own choice, else the community's."""
        return reading_language(self.community, self.member)


@dataclass(frozen=True)
class Response:
    """What a command produced: a reply in the room (which, with an anchor,
    stands for a post or event afterwards), an optional file, and private
    notices."""

    doc: Document | None
    anchor: Anchor | None = None
    notices: tuple[DirectNotice, ...] = ()
    attachment: Attachment | None = None
    private: bool = False  # for the asker's eyes only (a link code, say)


class Args:
    """Parsed argument values by name."""

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values

    def get(self, name: str) -> Any:
        """The parsed value of argument ``name``."""
        return self._values[name]


Handler = Callable[[Context, Args], Awaitable[Response]]
F = TypeVar("F", bound=Callable[..., Awaitable[Response]])


@dataclass(frozen=True)
class CommandSpec:
    """The declaration attached to a handler by :func:`command`."""

    name: str
    args: tuple[ArgSpec, ...] = ()
    aliases: tuple[str, ...] = ()
    role: Role = Role.MEMBER
    help_key: str = ""

    @property
    def example_key(self) -> str:
        """The catalog key of the command's example (``example.event_new``)."""
        return "example." + self.help_key.removeprefix("help.")


@dataclass(frozen=True)
class Command:
    """A declared command bound to its handler."""

    spec: CommandSpec
    handler: Handler

    @property
    def name(self) -> str:
        """The English verb (may be two words, e.g. ``event new``)."""
        return self.spec.name

    def usage(self, prefix: str, language: str = DEFAULT_LANGUAGE) -> str:
        """The usage line in ``language``, generated from the declarations:
        the verb and the argument words as the catalogs translate them."""
        return " ".join([prefix, *self.shape(language)]).rstrip()

    def shape(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        """The usage without the prefix: verb, then each argument."""
        return [verb(language, self.name), *(localized_usage(language, a.usage()) for a in self.spec.args)]

    def words(self) -> list[str]:
        """Every verb this command answers to: its name, its name in each
        language the bot speaks, and its declared aliases."""
        return list(dict.fromkeys([self.name, *(verb(lang, self.name) for lang in languages()), *self.spec.aliases]))

    def parse(self, rest: str) -> Args:
        """Parse the text after the verb; raises :class:`ArgError`."""
        values: dict[str, object] = {}
        for arg in self.spec.args:
            values[arg.name], rest = arg.take(rest)
        if rest.strip():
            raise ArgError("arg.extra", token=rest.strip().split()[0])
        return Args(values)


_SPEC_ATTRIBUTE = "__kenniscafe_command__"


def command(
    name: str,
    *args: ArgSpec,
    aliases: Iterable[str] = (),
    role: Role = Role.MEMBER,
) -> Callable[[F], F]:
    """Declare a handler method as the command ``name``."""

    def mark(handler: F) -> F:
        spec = CommandSpec(name, tuple(args), tuple(aliases), role, f"help.{name.replace(' ', '_')}")
        setattr(handler, _SPEC_ATTRIBUTE, spec)
        return handler

    return mark


def spec_of(handler: object) -> CommandSpec | None:
    """The declaration :func:`command` attached to ``handler``, if any."""
    spec = getattr(handler, _SPEC_ATTRIBUTE, None)
    return spec if isinstance(spec, CommandSpec) else None


@dataclass
class Registry:
    """All commands of the bot, looked up by verb or alias."""

    commands: list[Command] = field(default_factory=list)
    _by_word: dict[str, Command] = field(default_factory=dict)

    def collect(self, *services: object) -> None:
        """Register every :func:`command` handler of the given service objects."""
        for service in services:
            methods = [m for _, m in inspect.getmembers(service, inspect.ismethod)]
            # Declaration order, so help lists commands as the service file does.
            methods.sort(key=lambda m: m.__func__.__code__.co_firstlineno)
            for method in methods:
                if (spec := spec_of(method)) is not None:
                    self.add(Command(spec, method))

    def add(self, cmd: Command) -> None:
        """Register a command under each of its words; a word may name one command."""
        for word in cmd.words():
            if word in self._by_word:
                raise ValueError(f"command word {word!r} declared twice")
            self._by_word[word] = cmd
        self.commands.append(cmd)

    def lookup(self, words: list[str]) -> tuple[Command | None, int]:
        """The command named by the first one or two words, and how many
        words named it (two-word verbs such as ``event new`` win)."""
        if len(words) >= 2 and f"{words[0]} {words[1]}" in self._by_word:
            return self._by_word[f"{words[0]} {words[1]}"], 2
        if words and words[0] in self._by_word:
            return self._by_word[words[0]], 1
        return None, 0

    def words(self) -> list[str]:
        """Every verb and alias, as typed after the prefix."""
        return sorted(self._by_word)

    def closest(self, typed: str) -> Command | None:
        """The command whose verb (in any language) is closest to a mistyped
        one, if any is close."""
        found = difflib.get_close_matches(typed, list(self._by_word), n=1, cutoff=0.6)
        return self._by_word[found[0]] if found else None
