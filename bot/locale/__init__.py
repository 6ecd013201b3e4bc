"""The translation catalogs: ``kenniscafe.pot`` (extracted from
``bot/messages.py``) and one ``<language>/LC_MESSAGES/kenniscafe.po`` per
language, compiled to ``.mo`` beside it. ``python -m bot.locale`` brings
them up to date after a sentence was added or changed."""
