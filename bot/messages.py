"""Every user-facing sentence of the bot, in one place, per language.

Templates use ``{name}`` placeholders. :func:`say` fills them with rich-text
pieces or plain values, so user text stays a separate :class:`Text` piece
that renderers escape, while the sentence around it stays translatable.
English is complete; a language missing a key falls back to English.
"""

from __future__ import annotations

from string import Formatter

from bot.richtext import Inline, Text

DEFAULT_LANGUAGE = "en"

CATALOG: dict[str, dict[str, str]] = {
    # dispatcher and arguments
    "error.unknown_verb": {
        "en": 'Unknown command "{verb}". Did you mean {suggestion}? {help} lists all.',
        "nl": 'Onbekend commando "{verb}". Bedoel je {suggestion}? {help} toont alle commando\'s.',
    },
    "error.unknown_verb_no_suggestion": {
        "en": 'Unknown command "{verb}". {help} lists all.',
        "nl": 'Onbekend commando "{verb}". {help} toont alle commando\'s.',
    },
    "error.empty_command": {
        "en": "What can I do for you? {help} lists all commands.",
        "nl": "Wat kan ik voor je doen? {help} toont alle commando's.",
    },
    "error.usage": {"en": "{problem} Usage: {usage}", "nl": "{problem} Gebruik: {usage}"},
    "error.too_long": {
        "en": "That message is too long ({length} characters); the limit is {limit}.",
        "nl": "Dat bericht is te lang ({length} tekens); het maximum is {limit}.",
    },
    "error.role": {
        "en": "Only {role}s can use {command}. Ask a manager if you need the role.",
        "nl": "Alleen een {role} kan {command} gebruiken. Vraag een beheerder om die rol.",
    },
    "error.internal": {
        "en": "Sorry, something went wrong handling {command}. It has been logged; please try again.",
        "nl": "Sorry, er ging iets mis bij {command}. Het is gelogd; probeer het nog eens.",
    },
    "arg.missing": {"en": "Missing {name}.", "nl": "{name} ontbreekt."},
    "arg.extra": {"en": 'Unexpected "{token}".', "nl": 'Onverwacht: "{token}".'},
    "arg.bad_post": {
        "en": '"{token}" is not a post id; write it like #12.',
        "nl": '"{token}" is geen bericht-id; schrijf het als #12.',
    },
    "arg.bad_event": {
        "en": '"{token}" is not an event id; write it like E3.',
        "nl": '"{token}" is geen activiteit-id; schrijf het als E3.',
    },
    "arg.bad_tag": {
        "en": '"{token}" is not a tag; tags look like #coffee.',
        "nl": '"{token}" is geen tag; tags zien eruit als #koffie.',
    },
    "arg.one_tag": {"en": "Give at most one tag.", "nl": "Geef hoogstens één tag."},
    # help
    "help.header": {
        "en": "Commands (type {prefix} before each; {help_verb} for details):",
        "nl": "Commando's (typ {prefix} ervoor; {help_verb} voor details):",
    },
    "help.usage": {"en": "Usage: {usage}", "nl": "Gebruik: {usage}"},
    "help.aliases": {"en": "Also: {aliases}", "nl": "Ook: {aliases}"},
    "help.role": {"en": "For {role}s.", "nl": "Voor {role}s."},
    "help.console_hint": {
        "en": "Reply to a message with {save} or react 🔖 to archive it.",
        "nl": "Antwoord op een bericht met {save} of reageer met 🔖 om het te bewaren.",
    },
    "help.help": {"en": "list commands, or explain one", "nl": "commando's tonen, of er één uitleggen"},
    "help.post": {"en": "archive a post", "nl": "een bericht bewaren"},
    "help.save": {
        "en": "archive the message you reply to (or react 🔖)",
        "nl": "het bericht waarop je antwoordt bewaren (of reageer met 🔖)",
    },
    "help.show": {"en": "show a post", "nl": "een bericht tonen"},
    "help.comment": {"en": "comment on a post", "nl": "reageren op een bericht"},
    "help.search": {"en": "search the archive", "nl": "het archief doorzoeken"},
    "help.recent": {"en": "newest posts", "nl": "nieuwste berichten"},
    "help.tags": {"en": "tags with counts", "nl": "tags met aantallen"},
    "help.remove": {
        "en": "remove a post (author or manager)",
        "nl": "een bericht verwijderen (auteur of beheerder)",
    },
    "role.member": {"en": "member", "nl": "lid"},
    "role.organizer": {"en": "organizer", "nl": "organisator"},
    "role.manager": {"en": "manager", "nl": "beheerder"},
    # archive
    "post.saved": {"en": "Saved {ref} “{title}”", "nl": "Bewaard: {ref} “{title}”"},
    "post.already_saved": {
        "en": "That message is already archived as {ref} “{title}”.",
        "nl": "Dat bericht is al bewaard als {ref} “{title}”.",
    },
    "post.by": {"en": "{ref} {title} — by {author}, {date}", "nl": "{ref} {title} — door {author}, {date}"},
    "post.removed_note": {"en": "(removed)", "nl": "(verwijderd)"},
    "post.people": {"en": "people involved: {names}", "nl": "betrokken: {names}"},
    "post.not_found": {
        "en": "There is no post {ref}. {recent} shows the newest.",
        "nl": "Er is geen bericht {ref}. {recent} toont de nieuwste.",
    },
    "post.is_removed": {
        "en": "Post {ref} has been removed.",
        "nl": "Bericht {ref} is verwijderd.",
    },
    "post.removed": {
        "en": "Removed {ref} “{title}”. It no longer shows in search or digests.",
        "nl": "{ref} “{title}” is verwijderd. Het verschijnt niet meer in zoekresultaten of overzichten.",
    },
    "post.remove_denied": {
        "en": "Only the author of {ref} or a manager can remove it.",
        "nl": "Alleen de auteur van {ref} of een beheerder kan het verwijderen.",
    },
    "save.no_reply": {
        "en": "Reply to the message you want to archive with {save}, or react to it with 🔖.",
        "nl": "Antwoord met {save} op het bericht dat je wilt bewaren, of reageer erop met 🔖.",
    },
    "save.empty": {
        "en": "That message has no text to archive.",
        "nl": "Dat bericht heeft geen tekst om te bewaren.",
    },
    "comment.added": {"en": "Comment added to {ref} ({count})", "nl": "Reactie toegevoegd aan {ref} ({count})"},
    "search.none": {
        "en": "Nothing found for {query}. Try fewer or other words, or {recent}.",
        "nl": "Niets gevonden voor {query}. Probeer minder of andere woorden, of {recent}.",
    },
    "search.header": {"en": "Best matches for {query}:", "nl": "Beste resultaten voor {query}:"},
    "search.unknown_member": {
        "en": 'I don\'t know a member "{name}" here.',
        "nl": 'Ik ken hier geen lid "{name}".',
    },
    "recent.header": {"en": "Newest posts:", "nl": "Nieuwste berichten:"},
    "recent.header_tag": {"en": "Newest posts tagged {tag}:", "nl": "Nieuwste berichten met {tag}:"},
    "recent.none": {
        "en": "No posts yet. Archive one with {post}.",
        "nl": "Nog geen berichten. Bewaar er een met {post}.",
    },
    "recent.none_tag": {"en": "No posts tagged {tag}.", "nl": "Geen berichten met {tag}."},
    "tags.header": {"en": "Tags:", "nl": "Tags:"},
    "tags.none": {
        "en": "No tags yet. Add them to a post like this: {example}",
        "nl": "Nog geen tags. Voeg ze zo toe aan een bericht: {example}",
    },
    "list.item": {"en": "{ref} {title} — {author}, {date}", "nl": "{ref} {title} — {author}, {date}"},
    # counted things
    "count.comment.one": {"en": "{n} comment", "nl": "{n} reactie"},
    "count.comment.other": {"en": "{n} comments", "nl": "{n} reacties"},
    "count.link.one": {"en": "{n} link", "nl": "{n} link"},
    "count.link.other": {"en": "{n} links", "nl": "{n} links"},
    "count.post.one": {"en": "{n} post", "nl": "{n} bericht"},
    "count.post.other": {"en": "{n} posts", "nl": "{n} berichten"},
}

_FORMATTER = Formatter()


def template(language: str, key: str) -> str:
    """The raw template for ``key`` in ``language``, falling back to English."""
    entry = CATALOG[key]
    return entry.get(language) or entry[DEFAULT_LANGUAGE]


def say(language: str, key: str, /, **values: Inline | str | int) -> tuple[Inline, ...]:
    """The sentence ``key`` as rich-text pieces, placeholders filled in."""
    parts: list[Inline] = []
    for literal, field_name, _spec, _conv in _FORMATTER.parse(template(language, key)):
        if literal:
            parts.append(Text(literal))
        if field_name is not None:
            value = values[field_name]
            parts.append(value if not isinstance(value, (str, int)) else Text(str(value)))
    return tuple(parts)


def say_text(language: str, key: str, /, **values: str | int) -> str:
    """The sentence ``key`` as plain text."""
    return template(language, key).format(**values)


def count(language: str, noun: str, n: int) -> str:
    """``1 comment`` / ``3 comments`` in the language."""
    form = "one" if n == 1 else "other"
    return say_text(language, f"count.{noun}.{form}", n=n)
