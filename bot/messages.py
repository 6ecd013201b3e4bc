"""Every user-facing sentence of the bot, in one place, per language.

Templates use ``{name}`` placeholders. :func:`say` fills them with rich-text
pieces or plain values, so user text stays a separate :class:`Text` piece
that renderers escape, while the sentence around it stays translatable.
English is complete; a language missing a key falls back to English.
"""

from __future__ import annotations

import functools
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
    "error.usage_line": {"en": " Usage: {usage}", "nl": " Gebruik: {usage}"},
    "error.too_long": {
        "en": "That message is too long ({length} characters); the limit is {limit}.",
        "nl": "Dat bericht is te lang ({length} tekens); het maximum is {limit}.",
    },
    "error.role": {
        "en": "Only {role}s can use {command}. Ask a manager ({managers}) if you need the role.",
        "nl": "Alleen een {role} kan {command} gebruiken. Vraag een beheerder ({managers}) om die rol.",
    },
    "error.slow_down": {
        "en": "Slow down a little: {burst} commands in a row is my limit, then {per_minute} a minute. "
              "I'll answer again in a moment.",
        "nl": "Rustig aan: {burst} commando's achter elkaar is mijn grens, daarna {per_minute} per minuut. "
              "Zo meteen antwoord ik weer.",
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
    "help.for_role": {"en": "For {role}s.", "nl": "Voor {role}s."},
    "help.console_hint": {
        "en": "Reply to a message with {save} or react 🔖 to archive it.",
        "nl": "Antwoord op een bericht met {save} of reageer met 🔖 om het te bewaren.",
    },
    "help.role": {"en": "give a member a role: member, organizer or manager (managers)",
                  "nl": "een lid een rol geven: lid, organisator of beheerder (beheerders)"},
    "help.roles": {"en": "who the managers and organizers are", "nl": "wie de beheerders en organisatoren zijn"},
    "help.me": {"en": "your profile", "nl": "je profiel"},
    "help.me_interests": {"en": "set your interests (comma-separated)", "nl": "je interesses instellen (met komma's)"},
    "help.me_expertise": {"en": "set your expertise (comma-separated)", "nl": "je expertise instellen (met komma's)"},
    "help.whois": {"en": "a member's profile, posts and coffee tables", "nl": "profiel, berichten en koffietafels van een lid"},
    "help.who": {"en": "who knows about a topic, and why", "nl": "wie verstand heeft van een onderwerp, en waarom"},
    "arg.role_usage": {"en": "Name a member and a role.", "nl": "Noem een lid en een rol."},
    "arg.bad_role": {
        "en": '"{token}" is not a role; use member, organizer or manager.',
        "nl": '"{token}" is geen rol; gebruik lid, organisator of beheerder.',
    },
    "arg.too_many_topics": {"en": "At most {limit} topics, please.", "nl": "Hoogstens {limit} onderwerpen, graag."},
    "member.unknown": {
        "en": 'I don\'t know "{name}" in this community: give their name or id as it appears here.',
        "nl": 'Ik ken "{name}" niet in deze community: geef de naam of id zoals die hier staat.',
    },
    "role.set": {"en": "{name} is now {role}.", "nl": "{name} is nu {role}."},
    "role.already": {"en": "{name} is {role} already.", "nl": "{name} is al {role}."},
    "role.last_manager": {
        "en": "You are the last manager: make someone else manager first.",
        "nl": "Je bent de laatste beheerder: maak eerst iemand anders beheerder.",
    },
    "roles.list": {"en": "Managers: {managers}. Organizers: {organizers}.",
                   "nl": "Beheerders: {managers}. Organisatoren: {organizers}."},
    "roles.nobody": {"en": "nobody", "nl": "niemand"},
    "me.header": {"en": "{name} ({role}) — on {platforms}", "nl": "{name} ({role}) — op {platforms}"},
    "me.topics": {"en": "Expertise: {expertise}. Interests: {interests}.",
                  "nl": "Expertise: {expertise}. Interesses: {interests}."},
    "me.activity": {"en": "{posts}, {tables} coffee tables attended.", "nl": "{posts}, {tables} koffietafels bezocht."},
    "me.settings": {"en": "Weekly digest by DM: {digest}. Coffee pairing: {pairing}. Change your profile with {change}.",
                    "nl": "Wekelijks overzicht per DM: {digest}. Koffiekoppels: {pairing}. Wijzig je profiel met {change}."},
    "me.nothing": {"en": "none yet", "nl": "nog niets"},
    "me.none": {"en": "none", "nl": "geen"},
    "me.on": {"en": "on", "nl": "aan"},
    "me.off": {"en": "off", "nl": "uit"},
    "me.interest_set": {"en": "Your interests: {topics}.", "nl": "Je interesses: {topics}."},
    "me.expertise_set": {"en": "Your expertise: {topics}.", "nl": "Je expertise: {topics}."},
    "who.header": {"en": "Who knows about “{topic}”:", "nl": "Wie weet van “{topic}”:"},
    "who.none": {
        "en": "Nobody has shown knowledge of “{topic}” yet. Know about it? {expertise}",
        "nl": "Nog niemand heeft kennis van “{topic}” laten zien. Weet jij ervan? {expertise}",
    },
    "who.expertise": {"en": "expertise: {topic}", "nl": "expertise: {topic}"},
    "who.interest": {"en": "interested in {topic}", "nl": "interesse in {topic}"},
    "who.tagged": {"en": "{posts} tagged {tag}", "nl": "{posts} met {tag}"},
    "who.written": {"en": "{posts} about it", "nl": "{posts} erover"},
    "who.tables": {"en": "went to {n} coffee tables on it", "nl": "ging naar {n} koffietafels erover"},
    "who.reactions": {"en": "{reactions} on those posts", "nl": "{reactions} op die berichten"},
    "who.comments": {"en": "{comments} on them", "nl": "{comments} erop"},
    "help.pair_on": {"en": "take part in coffee pairing", "nl": "meedoen met koffiekoppels"},
    "help.pair_off": {"en": "stop coffee pairing", "nl": "stoppen met koffiekoppels"},
    "help.pair_status": {"en": "coffee pairing: you, the others, the next round",
                         "nl": "koffiekoppels: jij, de anderen, de volgende ronde"},
    "pair.on": {
        "en": "You're in for coffee pairing: every {weeks} weeks I introduce you to someone to meet. {off} stops it.",
        "nl": "Je doet mee met koffiekoppels: om de {weeks} weken stel ik je voor aan iemand om te ontmoeten. "
              "{off} stopt het.",
    },
    "pair.off": {"en": "You're out of coffee pairing. {on} to join again.",
                 "nl": "Je doet niet meer mee met koffiekoppels. {on} om weer mee te doen."},
    "pair.status": {
        "en": "Coffee pairing: {state} for you; {n} taking part; {rounds} rounds so far; next round {when}.",
        "nl": "Koffiekoppels: {state} voor jou; {n} doen mee; {rounds} rondes tot nu toe; volgende ronde {when}.",
    },
    "pair.no_rounds": {"en": "not planned (pairing is off here)", "nl": "niet gepland (koffiekoppels staan uit)"},
    "pair.and": {"en": "{first} and {last}", "nl": "{first} en {last}"},
    "pair.introduction": {
        "en": "☕ Coffee pairing: meet {names}! {why} Find a moment for a coffee, in person or online.",
        "nl": "☕ Koffiekoppel: maak kennis met {names}! {why} Zoek een moment voor koffie, samen of online.",
    },
    "pair.why_shared": {"en": "You share an interest in {topics}.", "nl": "Jullie delen een interesse in {topics}."},
    "pair.why_new": {"en": "You haven't been paired before.", "nl": "Jullie zijn nog niet eerder gekoppeld."},
    "platform.matrix": {"en": "Matrix", "nl": "Matrix"},
    "platform.slack": {"en": "Slack", "nl": "Slack"},
    "platform.console": {"en": "the console", "nl": "de console"},
    "help.stats": {"en": "activity per week (managers)", "nl": "activiteit per week (beheerders)"},
    "help.event_noshow": {"en": "mark who signed up but did not come (organizers)",
                          "nl": "noteren wie zich aanmeldde maar niet kwam (organisatoren)"},
    "arg.bad_weeks": {"en": '"{token}" is not a number of weeks from 1 to {limit}.',
                      "nl": '"{token}" is geen aantal weken van 1 tot en met {limit}.'},
    "stats.header": {"en": "Activity over the last {weeks}, per week:",
                     "nl": "Activiteit over de laatste {weeks}, per week:"},
    "stats.week": {"en": "Week of {week}: {facts}", "nl": "Week van {week}: {facts}"},
    "stats.active": {"en": "{n} active ({new} new)", "nl": "{n} actief ({new} nieuw)"},
    "stats.attendance": {"en": "{came} came, {missed} no-show", "nl": "{came} gekomen, {missed} niet komen opdagen"},
    "stats.top": {"en": "Top contributors: {names}.", "nl": "Meest actief: {names}."},
    "noshow.not_yet": {"en": "{ref} has not started yet: mark no-shows afterwards.",
                       "nl": "{ref} is nog niet begonnen: noteer afwezigen achteraf."},
    "noshow.not_going": {"en": "{name} was not on the going list of {ref}.",
                         "nl": "{name} stond niet op de deelnemerslijst van {ref}."},
    "noshow.marked": {"en": "Noted: {name} did not come to {ref}. {came} came, {missed} did not.",
                      "nl": "Genoteerd: {name} kwam niet naar {ref}. {came} kwamen wel, {missed} niet."},
    "noshow.undone": {"en": "Noted: {name} came to {ref} after all. {came} came, {missed} did not.",
                      "nl": "Genoteerd: {name} kwam toch naar {ref}. {came} kwamen wel, {missed} niet."},
    "help.export": {"en": "the community's data as JSON and CSV, sent privately (managers)",
                    "nl": "de gegevens van de community als JSON en CSV, privé gestuurd (beheerders)"},
    "help.forget": {"en": "erase a member's personal data (managers)",
                    "nl": "de persoonsgegevens van een lid wissen (beheerders)"},
    "help.me_forget": {"en": "erase your personal data; your posts stay, from a former member",
                       "nl": "je persoonsgegevens wissen; je berichten blijven, van een oud-lid"},
    "member.former": {"en": "a former member", "nl": "een oud-lid"},
    "export.sent": {"en": "I've sent you the export as a direct message: it holds personal data, keep it safe.",
                    "nl": "Ik heb je de export in een privébericht gestuurd: er staan persoonsgegevens in, "
                          "bewaar hem zorgvuldig."},
    "export.file": {"en": "The export of {community}: {members}, {posts}, {tables} (JSON, and CSV per table).",
                    "nl": "De export van {community}: {members}, {posts}, {tables} (JSON, en CSV per tabel)."},
    "forget.confirm": {
        "en": "This erases your name, accounts, profile and settings here, and cancels your sign-ups for coffee "
              "tables to come. Your posts and comments stay, from “a former member”. It cannot be undone. "
              "To go ahead, type {command}.",
        "nl": "Dit wist je naam, accounts, profiel en instellingen hier, en meldt je af voor komende koffietafels. "
              "Je berichten en reacties blijven, van “een oud-lid”. Dit kan niet ongedaan worden. "
              "Typ {command} om door te gaan.",
    },
    "forget.self_done": {"en": "Done: your personal data is erased. Your posts stay, from “a former member”.",
                         "nl": "Klaar: je persoonsgegevens zijn gewist. Je berichten blijven, van “een oud-lid”."},
    "forget.done": {"en": "{name}'s personal data is erased; their posts stay, from “a former member”.",
                    "nl": "De persoonsgegevens van {name} zijn gewist; hun berichten blijven, van “een oud-lid”."},
    "forget.last_manager": {
        "en": "The last manager cannot be forgotten: make someone else manager first.",
        "nl": "De laatste beheerder kan niet gewist worden: maak eerst iemand anders beheerder.",
    },
    "help.link": {"en": "link your Matrix and Slack accounts (a code here, typed there)",
                  "nl": "je Matrix- en Slack-account koppelen (een code hier, daar intypen)"},
    "help.unlink": {"en": "make this account a member of its own again", "nl": "dit account weer los maken"},
    "link.code": {
        "en": "Your link code is {code}. Within 10 minutes, type {command} as yourself on your other platform. "
              "It works once.",
        "nl": "Je koppelcode is {code}. Typ binnen 10 minuten {command} als jezelf op je andere platform. "
              "Hij werkt één keer.",
    },
    "link.unknown": {"en": "That code is unknown or has expired. Ask for a new one with {new}.",
                     "nl": "Die code ken ik niet of hij is verlopen. Vraag een nieuwe met {new}."},
    "link.too_many": {"en": "Too many wrong codes: wait ten minutes, then ask for a new one.",
                      "nl": "Te veel verkeerde codes: wacht tien minuten en vraag dan een nieuwe."},
    "link.same": {"en": "Type the code on your other platform, not on {platform} where you asked for it.",
                  "nl": "Typ de code op je andere platform, niet op {platform} waar je hem vroeg."},
    "link.done": {"en": "Linked: you on {here} and on {there} are one member now.",
                  "nl": "Gekoppeld: jij op {here} en op {there} zijn nu één lid."},
    "link.undone": {"en": "Unlinked: this {here} account is a member of its own again.",
                    "nl": "Ontkoppeld: dit {here}-account is weer een eigen lid."},
    "link.not_linked": {"en": "This account is not linked to another.",
                        "nl": "Dit account is niet aan een ander gekoppeld."},
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
    "save.bot_message": {
        "en": "I don't archive my own messages. Reply to a member's message to save it.",
        "nl": "Mijn eigen berichten bewaar ik niet. Antwoord op het bericht van een lid om het te bewaren.",
    },
    "post.updated": {"en": "Updated {ref} “{title}”.", "nl": "{ref} “{title}” bijgewerkt."},
    "comment.updated": {"en": "Your comment on {ref} is updated.", "nl": "Je reactie op {ref} is bijgewerkt."},
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
    # coffee tables
    "help.event_new": {"en": "open a coffee table (organizers)", "nl": "een koffietafel openen (organisatoren)"},
    "help.events": {"en": "upcoming coffee tables with seats left", "nl": "komende koffietafels met vrije plaatsen"},
    "help.event": {"en": "details of a coffee table", "nl": "details van een koffietafel"},
    "help.join": {"en": "sign up (or react ✅ on the announcement)", "nl": "aanmelden (of reageer ✅ op de aankondiging)"},
    "help.leave": {"en": "cancel your sign-up", "nl": "je afmelden"},
    "help.interested": {
        "en": "can't come: hear about the next one",
        "nl": "kan niet: hoor het als er een volgende is",
    },
    "help.event_edit": {
        "en": "change title, when, where or capacity (organizers)",
        "nl": "titel, tijd, plaats of capaciteit wijzigen (organisatoren)",
    },
    "help.event_cancel": {"en": "cancel a coffee table (organizers)", "nl": "een koffietafel afgelasten (organisatoren)"},
    "help.event_close": {"en": "stop sign-ups (organizers)", "nl": "aanmelden stoppen (organisatoren)"},
    "help.event_open": {"en": "resume sign-ups (organizers)", "nl": "aanmelden hervatten (organisatoren)"},
    "help.event_again": {
        "en": "plan the next one at a new time (organizers)",
        "nl": "de volgende plannen op een nieuw tijdstip (organisatoren)",
    },
    "help.ics": {"en": "calendar file for a coffee table", "nl": "agendabestand voor een koffietafel"},
    "arg.bad_capacity": {
        "en": '"{token}" is not a capacity; give a whole number from 1 to {limit}, or "unlimited".',
        "nl": '"{token}" is geen capaciteit; geef een heel getal van 1 tot {limit}, of "onbeperkt".',
    },
    "arg.too_long": {
        "en": "{name} is {length} characters long; the limit is {limit}.",
        "nl": "{name} is {length} tekens lang; het maximum is {limit}.",
    },
    "arg.long_title": {
        "en": "The title is {length} characters long; the limit is {limit}. Put the rest after a |, as the body.",
        "nl": "De titel is {length} tekens lang; het maximum is {limit}. Zet de rest na een | als tekst.",
    },
    "arg.too_many_tags": {"en": "At most {limit} tags, please.", "nl": "Hoogstens {limit} tags, graag."},
    "arg.search_too_much": {
        "en": "Search for at most {words} words, one #tag and one @member.",
        "nl": "Zoek op hoogstens {words} woorden, één #tag en één @lid.",
    },
    "arg.too_many_parts": {
        "en": "That is {count} parts between |; a coffee table has at most five.",
        "nl": "Dat zijn {count} delen tussen |; een koffietafel heeft er hoogstens vijf.",
    },
    "arg.bad_field": {
        "en": '"{token}" is not something I can change; use title, when, where or capacity.',
        "nl": '"{token}" kan ik niet wijzigen; gebruik title, when, where of capacity.',
    },
    "arg.bad_from": {
        "en": '"{token}" is not a follow-up; write it like "from E3".',
        "nl": '"{token}" is geen vervolg; schrijf het als "from E3".',
    },
    "when.unreadable": {
        "en": '"{text}" is not a date I can read. Try e.g. {example} or {iso}.',
        "nl": '"{text}" kan ik niet als datum lezen. Probeer bijv. {example} of {iso}.',
    },
    "when.no_time": {
        "en": '"{text}" has no time of day. Try e.g. {example}.',
        "nl": '"{text}" heeft geen tijdstip. Probeer bijv. {example}.',
    },
    "when.past": {
        "en": '"{text}" is in the past ({shown}). Give a future time, e.g. {example}.',
        "nl": '"{text}" ligt in het verleden ({shown}). Geef een tijd in de toekomst, bijv. {example}.',
    },
    "event.announce": {
        "en": "{ref} {title} — {when}, {where} · {seats} · react ✅ or {join}",
        "nl": "{ref} {title} — {when}, {where} · {seats} · reageer ✅ of {join}",
    },
    "event.seats": {"en": "{n} seats", "nl": "{n} plaatsen"},
    "event.unlimited": {"en": "no seat limit", "nl": "geen plaatslimiet"},
    "event.not_found": {
        "en": "There is no coffee table {ref}. {events} lists upcoming ones.",
        "nl": "Er is geen koffietafel {ref}. {events} toont de komende.",
    },
    "event.joined": {
        "en": "You're in for {ref} ({count}).{reminders}",
        "nl": "Je bent aangemeld voor {ref} ({count}).{reminders}",
    },
    "event.reminders": {"en": " Reminders {offsets} before.", "nl": " Herinneringen {offsets} van tevoren."},
    "event.waitlisted": {
        "en": "{ref} is full; you're number {position} on the waitlist. I'll tell you when a seat frees up.",
        "nl": "{ref} is vol; je staat als {position}e op de wachtlijst. Ik laat het weten als er een plaats vrijkomt.",
    },
    "event.already_going": {"en": "You're already in for {ref} ({count}).", "nl": "Je bent al aangemeld voor {ref} ({count})."},
    "event.already_waitlisted": {
        "en": "You're already on the waitlist for {ref} (number {position}).",
        "nl": "Je staat al op de wachtlijst voor {ref} (nummer {position}).",
    },
    "event.closed": {"en": "Sign-ups for {ref} are closed.", "nl": "Aanmelden voor {ref} is gesloten."},
    "event.is_cancelled": {"en": "{ref} has been cancelled.", "nl": "{ref} is afgelast."},
    "event.started": {
        "en": "{ref} has already started: sign-ups and changes are over.",
        "nl": "{ref} is al begonnen: aanmelden en wijzigen kan niet meer.",
    },
    "event.ended": {"en": "{ref} is over.", "nl": "{ref} is voorbij."},
    "event.left": {"en": "You've left {ref} ({count}).", "nl": "Je bent afgemeld voor {ref} ({count})."},
    "event.left_waitlist": {"en": "You're off the waitlist for {ref}.", "nl": "Je staat niet meer op de wachtlijst voor {ref}."},
    "event.not_signed_up": {"en": "You weren't signed up for {ref}.", "nl": "Je was niet aangemeld voor {ref}."},
    "event.promoted": {
        "en": "A seat opened up: you're in for {ref} {title} — {when}, {where} ({count}).",
        "nl": "Er is een plaats vrijgekomen: je bent aangemeld voor {ref} {title} — {when}, {where} ({count}).",
    },
    "event.count": {"en": "{going}/{capacity}", "nl": "{going}/{capacity}"},
    "event.count_unlimited": {"en": "{going} going", "nl": "{going} aangemeld"},
    "event.interest_noted": {
        "en": "Noted: I'll tell you when the next {ref} {title} is planned.",
        "nl": "Genoteerd: ik laat het weten als de volgende {ref} {title} gepland is.",
    },
    "event.interest_known": {
        "en": "You're already on the list for news about the next {ref}.",
        "nl": "Je staat al op de lijst voor nieuws over de volgende {ref}.",
    },
    "event.follow_up": {
        "en": "The next {title} is planned: {ref} — {when}, {where}. {join} to come.",
        "nl": "De volgende {title} is gepland: {ref} — {when}, {where}. {join} om te komen.",
    },
    "event.follow_up_told": {"en": "Told {n} interested.", "nl": "{n} geïnteresseerden ingelicht."},
    "event.none": {
        "en": "No coffee tables planned. Organizers open one with {new}.",
        "nl": "Geen koffietafels gepland. Organisatoren openen er een met {new}.",
    },
    "event.list_header": {"en": "Upcoming coffee tables:", "nl": "Komende koffietafels:"},
    "event.list_item": {"en": "{ref} {title} — {when}, {where} · {seats}", "nl": "{ref} {title} — {when}, {where} · {seats}"},
    "event.seats_left": {"en": "{n} of {capacity} seats left", "nl": "{n} van {capacity} plaatsen vrij"},
    "event.full": {"en": "full, {n} waiting", "nl": "vol, {n} wachtend"},
    "event.open_seats": {"en": "{n} going", "nl": "{n} aangemeld"},
    "event.status_closed": {"en": "sign-ups closed", "nl": "aanmelden gesloten"},
    "event.status_cancelled": {"en": "cancelled", "nl": "afgelast"},
    "event.details_when": {"en": "{ref} {title} — {when} ({zone})", "nl": "{ref} {title} — {when} ({zone})"},
    "event.details_where": {"en": "Place: {where}", "nl": "Plaats: {where}"},
    "event.details_going": {"en": "Going ({count}): {names}", "nl": "Aangemeld ({count}): {names}"},
    "event.details_waitlist": {"en": "Waitlist: {names}", "nl": "Wachtlijst: {names}"},
    "event.details_status": {"en": "Status: {status}", "nl": "Status: {status}"},
    "event.details_follows": {"en": "Follows {ref}.", "nl": "Vervolg op {ref}."},
    "event.nobody": {"en": "nobody yet", "nl": "nog niemand"},
    "event.edited": {"en": "{ref} updated: {change}.", "nl": "{ref} bijgewerkt: {change}."},
    "event.changed_notice": {
        "en": "{ref} {title} has changed: {change}.",
        "nl": "{ref} {title} is gewijzigd: {change}.",
    },
    "event.change_title": {"en": "the title is now “{new}”", "nl": "de titel is nu “{new}”"},
    "event.change_when": {"en": "it now starts {new} (was {old})", "nl": "het begint nu {new} (was {old})"},
    "event.change_where": {"en": "the place is now {new} (was {old})", "nl": "de plaats is nu {new} (was {old})"},
    "event.change_capacity": {"en": "capacity is now {new} (was {old})", "nl": "de capaciteit is nu {new} (was {old})"},
    "event.capacity_below_going": {
        "en": "{ref} already has {going} going; capacity can't be lower than that.",
        "nl": "{ref} heeft al {going} aanmeldingen; de capaciteit kan niet lager.",
    },
    "event.unlimited_short": {"en": "unlimited", "nl": "onbeperkt"},
    "event.cancelled": {
        "en": "{ref} is cancelled; {n} people told.",
        "nl": "{ref} is afgelast; {n} mensen ingelicht.",
    },
    "event.cancel_notice": {
        "en": "{ref} {title} on {when} is cancelled.{reason}",
        "nl": "{ref} {title} op {when} is afgelast.{reason}",
    },
    "event.cancel_reason": {"en": " Reason: {reason}", "nl": " Reden: {reason}"},
    "event.now_closed": {"en": "Sign-ups for {ref} are now closed.", "nl": "Aanmelden voor {ref} is nu gesloten."},
    "event.now_open": {"en": "Sign-ups for {ref} are open again.", "nl": "Aanmelden voor {ref} is weer open."},
    "event.already_closed": {"en": "Sign-ups for {ref} were already closed.", "nl": "Aanmelden voor {ref} was al gesloten."},
    "event.already_open": {"en": "Sign-ups for {ref} are already open.", "nl": "Aanmelden voor {ref} is al open."},
    "event.already_cancelled": {"en": "{ref} was already cancelled.", "nl": "{ref} was al afgelast."},
    "event.ics": {
        "en": "Calendar file for {ref} {title}: add it to your agenda.",
        "nl": "Agendabestand voor {ref} {title}: zet het in je agenda.",
    },
    # reminders and digest
    "reminder.text": {
        "en": "Reminder: {ref} {title} starts in {left} — {when}, {where}.",
        "nl": "Herinnering: {ref} {title} begint over {left} — {when}, {where}.",
    },
    "help.digest_preview": {"en": "show this week's digest now", "nl": "het overzicht van deze week nu tonen"},
    "help.digest_on": {"en": "get the weekly digest by DM", "nl": "het weekoverzicht per DM ontvangen"},
    "help.digest_off": {"en": "stop the digest DM", "nl": "geen weekoverzicht meer per DM"},
    "digest.on": {
        "en": "You'll get the weekly digest by DM. {off} stops it.",
        "nl": "Je krijgt het weekoverzicht per DM. {off} stopt het.",
    },
    "digest.off": {"en": "No more digest DMs. {on} brings them back.", "nl": "Geen weekoverzicht meer per DM. {on} zet het weer aan."},
    "digest.title": {"en": "Weekly digest of {community}, {period}", "nl": "Weekoverzicht van {community}, {period}"},
    "digest.empty": {
        "en": "A quiet week at {community}: no new posts, discussions, coffee tables or members. Share something with {post}!",
        "nl": "Een rustige week bij {community}: geen nieuwe berichten, discussies, koffietafels of leden. Deel iets met {post}!",
    },
    "digest.new_posts": {"en": "New posts ({n}):", "nl": "Nieuwe berichten ({n}):"},
    "digest.discussions": {"en": "Active discussions:", "nl": "Levendige discussies:"},
    "digest.discussion_item": {"en": "{ref} {title} — {comments} this week", "nl": "{ref} {title} — {comments} deze week"},
    "digest.upcoming": {"en": "Coming up:", "nl": "Binnenkort:"},
    "digest.new_members": {"en": "New members: {names}", "nl": "Nieuwe leden: {names}"},
    "digest.more": {"en": " (+{n} more)", "nl": " (+{n} meer)"},
    "digest.pairs": {"en": "People who might want to meet:", "nl": "Mensen die elkaar misschien willen ontmoeten:"},
    "digest.pair": {"en": "{a} and {b} — both into {topic}", "nl": "{a} en {b} — allebei bezig met {topic}"},
    "digest.post_item": {"en": "{ref} {title} — {author}{facts}", "nl": "{ref} {title} — {author}{facts}"},
    # counted things
    "count.member.one": {"en": "{n} member", "nl": "{n} lid"},
    "count.member.other": {"en": "{n} members", "nl": "{n} leden"},
    "count.table.one": {"en": "{n} coffee table", "nl": "{n} koffietafel"},
    "count.table.other": {"en": "{n} coffee tables", "nl": "{n} koffietafels"},
    "count.week.one": {"en": "{n} week", "nl": "{n} week"},
    "count.week.other": {"en": "{n} weeks", "nl": "{n} weken"},
    "count.signup.one": {"en": "{n} sign-up", "nl": "{n} aanmelding"},
    "count.signup.other": {"en": "{n} sign-ups", "nl": "{n} aanmeldingen"},
    "count.comment.one": {"en": "{n} comment", "nl": "{n} reactie"},
    "count.comment.other": {"en": "{n} comments", "nl": "{n} reacties"},
    "count.link.one": {"en": "{n} link", "nl": "{n} link"},
    "count.link.other": {"en": "{n} links", "nl": "{n} links"},
    "count.post.one": {"en": "{n} post", "nl": "{n} bericht"},
    "count.post.other": {"en": "{n} posts", "nl": "{n} berichten"},
    "count.reaction.one": {"en": "{n} reaction", "nl": "{n} reactie-emoji"},
    "count.reaction.other": {"en": "{n} reactions", "nl": "{n} reactie-emoji's"},
}

_FORMATTER = Formatter()


def template(language: str, key: str) -> str:
    """The raw template for ``key`` in ``language``, falling back to English."""
    entry = CATALOG[key]
    return entry.get(language) or entry[DEFAULT_LANGUAGE]


@functools.cache
def _pieces(language: str, key: str) -> tuple[tuple[str, str | None], ...]:
    # Parsed once per sentence: replies are on the hot path of every command.
    return tuple((literal, name) for literal, name, _spec, _conv in _FORMATTER.parse(template(language, key)))


def say(language: str, key: str, /, **values: Inline | str | int) -> tuple[Inline, ...]:
    """The sentence ``key`` as rich-text pieces, placeholders filled in."""
    parts: list[Inline] = []
    for literal, field_name in _pieces(language, key):
        if literal:
            parts.append(Text(literal))
        if field_name is not None:
            value = values[field_name]
            parts.append(value if not isinstance(value, (str, int)) else Text(str(value)))
    return tuple(parts)


def say_text(language: str, key: str, /, **values: str | int) -> str:
    """The sentence ``key`` as plain text."""
    return template(language, key).format(**values)


def platform_name(language: str, platform: str) -> str:
    """``slack`` → ``Slack``: a platform as people call it."""
    key = f"platform.{platform}"
    return say_text(language, key) if key in CATALOG else platform


def count(language: str, noun: str, n: int) -> str:
    """``1 comment`` / ``3 comments`` in the language."""
    form = "one" if n == 1 else "other"
    return say_text(language, f"count.{noun}.{form}", n=n)
