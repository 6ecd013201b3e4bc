"""The console as a terminal program, when a person types at it: a prompt
with line editing, history kept in the data folder, and tab completion of
the commands (prompt_toolkit). Ctrl-C drops the line being typed; a second
Ctrl-C in a row leaves, as does Ctrl-D. What the bot prints meanwhile (a
reminder, say) appears above the prompt, not through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.history import FileHistory

LEAVE_HINT = "Ctrl-C again (or Ctrl-D) to leave"


async def typed_lines(prompt: Callable[[], str], history: Path, words: Iterable[str],
                      say: Callable[[str], None]) -> AsyncIterator[str]:
    """Lines as a person types them at a prompt, until they leave."""
    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(history)),
        completer=WordCompleter(sorted(words), sentence=True, match_middle=False),
        complete_while_typing=False,
    )
    interrupted = False
    while True:
        try:
            line = await session.prompt_async(prompt())
        except KeyboardInterrupt:
            if interrupted:
                return
            interrupted = True
            say(LEAVE_HINT)
            continue
        except EOFError:
            return
        interrupted = False
        yield line
