"""Every command the bot declares, read from the service classes (no bot,
database or chat server needed): for tests of the declarations themselves."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import bot.services
from bot.commands.registry import Command, Registry, spec_of


def every_command() -> list[Command]:
    """A registry of every declared command, in declaration order per module."""
    registry = Registry()
    for module_info in pkgutil.iter_modules(bot.services.__path__):
        module = importlib.import_module(f"bot.services.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for _, function in inspect.getmembers(cls, inspect.isfunction):
                if (spec := spec_of(function)) is not None:
                    registry.add(Command(spec, function))
    return registry.commands
