"""Every user-facing sentence of the bot: a key and its English text.

The English here is the source of the translation catalogs in
``bot/locale`` (gettext, one ``.po`` per language, compiled to ``.mo`` and
shipped in the package; ``python -m bot.locale`` extracts, updates and
compiles them with Babel). A sentence is looked up by its key (the gettext
context) and English text; a language without a translation falls back to
English. Plural sentences name the placeholder that decides the form, so
each language applies its own plural rules.

Templates use ``{name}`` placeholders. :func:`say` fills them with rich-text
pieces or plain values, so user text stays a separate :class:`Text` piece
that renderers escape, while the sentence around it stays translatable.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from babel.numbers import format_decimal

from bot.richtext import Code, Inline, Text
from bot.timefmt import babel_locale

DEFAULT_LANGUAGE = "en"
DOMAIN = "kenniscafe"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@dataclass(frozen=True, slots=True)
class Message:
    """One sentence: its key, English text and, for plurals, the English
    plural and the placeholder whose number picks the form."""

    key: str
    one: str
    other: str | None = None
    by: str | None = None


def msg(key: str, text: str) -> Message:
    """A sentence (Babel extracts it: keyword ``msg:1c,2``)."""
    return Message(key, text)


def plural(key: str, one: str, other: str, by: str) -> Message:
    """A sentence with a singular and a plural, chosen by the number in the
    placeholder ``by`` (Babel extracts it: keyword ``plural:1c,2,3``)."""
    return Message(key, one, other, by)


def _catalog(*messages: Message) -> dict[str, Message]:
    return {m.key: m for m in messages}


MESSAGES: dict[str, Message] = _catalog(
    msg("error.unknown_verb", "Unknown command \"{verb}\". Did you mean {suggestion}? {help} lists all."),
    msg("error.unknown_verb_no_suggestion", "Unknown command \"{verb}\". {help} lists all."),
    msg("error.empty_command", "What can I do for you? {help} lists all commands."),
    msg("error.usage_line", " Usage: {usage}"),
    msg("error.too_long", "That message is too long ({length} characters); the limit is {limit}."),
    msg("error.role", "Only {role}s can use {command}. Ask a manager ({managers}) if you need the role."),
    msg("error.slow_down", "Slow down a little: {burst} commands in a row is my limit, then {per_minute} a minute. I'll answer again in a moment."),
    msg("error.unreadable", "I couldn't read your message: it was end-to-end encrypted and your app did not share its key with me. Please send it again. If this keeps happening, let your app send to unverified sessions too (in Element: Settings → Security & Privacy, turn off \"Never send encrypted messages to unverified sessions\")."),
    msg("error.internal", "Sorry, something went wrong handling {command}. It has been logged; please try again."),
    msg("arg.missing", "Missing {name}."),
    msg("arg.extra", "Unexpected \"{token}\"."),
    msg("arg.bad_post", "\"{token}\" is not a post id; write it like #12."),
    msg("arg.bad_event", "\"{token}\" is not an event id; write it like E3."),
    msg("arg.bad_tag", "\"{token}\" is not a tag; tags look like #coffee."),
    msg("arg.one_tag", "Give at most one tag."),
    msg("help.header", "Commands (type {prefix} before each; {help_verb} for details):"),
    msg("help.usage", "Usage: {usage}"),
    msg("help.example", "Example: {example}"),
    msg("help.for_role", "Needs the {role} role (or a higher one)."),
    msg("help.console_hint", "Reply to a message with {save} or react 🔖 to archive it."),
    msg("help.role", "give a member a role: member, organizer or manager (managers)"),
    msg("help.roles", "who the managers and organizers are"),
    msg("help.me", "your profile"),
    msg("help.me_interests", "set your interests (comma-separated)"),
    msg("help.me_expertise", "set your expertise (comma-separated)"),
    msg("help.me_language", "choose the language I write to you in (- follows the community)"),
    msg("help.whois", "a member's profile, posts and coffee tables"),
    msg("help.who", "who knows about a topic, and why"),
    msg("arg.role_usage", "Name a member and a role."),
    msg("arg.bad_role", "\"{token}\" is not a role; use member, organizer or manager."),
    msg("arg.too_many_topics", "At most {limit} topics, please."),
    msg("member.unknown", "I don't know \"{name}\" in this community: give their name or id as it appears here."),
    msg("role.set", "{name} is now {role}."),
    msg("role.already", "{name} is {role} already."),
    msg("role.last_manager", "You are the last manager: make someone else manager first."),
    msg("roles.list", "Managers: {managers}. Organizers: {organizers}."),
    msg("roles.nobody", "nobody"),
    msg("me.header", "{name} ({role}) — on {platforms}"),
    msg("me.topics", "Expertise: {expertise}. Interests: {interests}."),
    plural("me.activity", "{posts}, {tables} coffee table attended.", "{posts}, {tables} coffee tables attended.", "tables"),
    msg("me.settings", "Weekly digest by DM: {digest}. Coffee pairing: {pairing}. Language: {language}."
                       " Change your profile with {change}."),
    msg("me.language_set", "From now on I write to you in {language}."),
    msg("me.language_default", "From now on I write to you in the community's language, {language}."),
    msg("me.language_unknown", "I don't speak \"{wanted}\". Choose one of {choices}, or - for the community's language."),
    msg("me.nothing", "none yet"),
    msg("me.none", "none"),
    msg("me.on", "on"),
    msg("me.off", "off"),
    msg("me.interest_set", "Your interests: {topics}."),
    msg("me.expertise_set", "Your expertise: {topics}."),
    msg("who.header", "Who knows about “{topic}”:"),
    msg("who.none", "Nobody has shown knowledge of “{topic}” yet. Know about it? {expertise}"),
    msg("who.expertise", "expertise: {topic}"),
    msg("who.interest", "interested in {topic}"),
    msg("who.tagged", "{posts} tagged {tag}"),
    msg("who.written", "{posts} about it"),
    plural("who.tables", "went to {n} coffee table on it", "went to {n} coffee tables on it", "n"),
    msg("who.reactions", "{reactions} on those posts"),
    msg("who.comments", "{comments} on them"),
    msg("help.pair_on", "take part in coffee pairing"),
    msg("help.pair_off", "stop coffee pairing"),
    msg("help.pair_status", "coffee pairing: you, the others, the next round"),
    plural("pair.on", "You're in for coffee pairing: every week I introduce you to someone to meet. {off} stops it.", "You're in for coffee pairing: every {weeks} weeks I introduce you to someone to meet. {off} stops it.", "weeks"),
    msg("pair.off", "You're out of coffee pairing. {on} to join again."),
    plural("pair.status", "Coffee pairing: {state} for you; {n} taking part; {rounds} round so far; next round {when}.", "Coffee pairing: {state} for you; {n} taking part; {rounds} rounds so far; next round {when}.", "rounds"),
    msg("pair.no_rounds", "not planned (pairing is off here)"),
    msg("pair.and", "{first} and {last}"),
    msg("pair.introduction", "☕ Coffee pairing: meet {names}! {why} Find a moment for a coffee, in person or online."),
    msg("pair.why_shared", "You share an interest in {topics}."),
    msg("pair.why_new", "You haven't been paired before."),
    msg("platform.matrix", "Matrix"),
    msg("platform.slack", "Slack"),
    msg("platform.console", "the console"),
    msg("help.stats", "activity per week (managers)"),
    msg("help.event_noshow", "mark who signed up but did not come (organizers)"),
    msg("arg.bad_weeks", "\"{token}\" is not a number of weeks from 1 to {limit}."),
    msg("stats.header", "Activity over the last {weeks}, per week:"),
    msg("stats.week", "Week of {week}: {facts}"),
    msg("stats.active", "{n} active ({new} new)"),
    msg("stats.attendance", "{came} came, {missed} no-show"),
    msg("stats.top", "Top contributors: {names}."),
    msg("noshow.not_yet", "{ref} has not started yet: mark no-shows afterwards."),
    msg("noshow.not_going", "{name} was not on the going list of {ref}."),
    plural("noshow.marked", "Noted: {name} did not come to {ref}. {came} came, {missed} did not.", "Noted: {name} did not come to {ref}. {came} came, {missed} did not.", "came"),
    plural("noshow.undone", "Noted: {name} came to {ref} after all. {came} came, {missed} did not.", "Noted: {name} came to {ref} after all. {came} came, {missed} did not.", "came"),
    msg("help.export", "the community's data as JSON and CSV, sent privately (managers)"),
    msg("help.forget", "erase a member's personal data (managers)"),
    msg("help.me_forget", "erase your personal data; your posts stay, from a former member"),
    msg("member.former", "a former member"),
    msg("export.sent", "I've sent you the export as a direct message: it holds personal data, keep it safe."),
    msg("export.file", "The export of {community}: {members}, {posts}, {tables} (JSON, and CSV per table)."),
    msg("forget.confirm", "This erases your name, accounts, profile and settings here, and cancels your sign-ups for coffee tables to come. Your posts and comments stay, from “a former member”. It cannot be undone. To go ahead, type {command}."),
    msg("forget.self_done", "Done: your personal data is erased. Your posts stay, from “a former member”."),
    msg("forget.done", "{name}'s personal data is erased; their posts stay, from “a former member”."),
    msg("forget.last_manager", "The last manager cannot be forgotten: make someone else manager first."),
    msg("help.link", "link your Matrix and Slack accounts (a code here, typed there)"),
    msg("help.unlink", "make this account a member of its own again"),
    msg("link.code", "Your link code is {code}. Within 10 minutes, type {command} as yourself on your other platform. It works once."),
    msg("link.unknown", "That code is unknown or has expired. Ask for a new one with {new}."),
    msg("link.too_many", "Too many wrong codes: wait ten minutes, then ask for a new one."),
    msg("link.same", "Type the code on your other platform, not on {platform} where you asked for it."),
    msg("link.done", "Linked: you on {here} and on {there} are one member now."),
    msg("link.undone", "Unlinked: this {here} account is a member of its own again."),
    msg("link.not_linked", "This account is not linked to another."),
    msg("help.web", "a link that signs you in to the web pages (works once, for 15 minutes)"),
    msg("web.link", "Your sign-in link for the web pages: {link} It works once, within {minutes} minutes; don't share it."),
    msg("web.off", "The web pages are not switched on for this bot. A manager can turn them on ([web] in the config)."),
    msg("post.web_page", "On the web: {link}"),
    msg("web.nav_archive", "Archive"),
    msg("web.nav_tables", "Coffee tables"),
    msg("web.nav_people", "People"),
    msg("web.nav_overview", "Overview"),
    msg("web.sign_out", "Sign out"),
    msg("web.not_signed_in", "Not signed in"),
    msg("web.to_front", "To the front page"),
    msg("web.your_communities", "Your communities"),
    msg("web.public_communities", "Open to everyone"),
    msg("web.how_to_sign_in", "To sign in, type {command} in a chat room of your community: I'll send you a link that works once."),
    msg("web.sign_in_title", "Sign in"),
    msg("web.sign_in_explain", "This link works once. Press the button to sign in on this browser."),
    msg("web.sign_in_button", "Sign in"),
    msg("web.error_sign_in", "Sign in to see this page: type {command} in a chat room of your community and open the link I send you."),
    msg("web.error_forbidden", "This page belongs to a community you are not a member of."),
    msg("web.error_role", "Only managers of this community can see this page."),
    msg("web.error_csrf", "That form was out of date. Go back, reload the page and try again."),
    msg("web.error_not_found", "There is no such page."),
    msg("web.error_too_many", "Too many attempts from your address. Wait a minute and try again."),
    msg("web.error_bad_request", "That request could not be read."),
    msg("web.error_internal", "Something went wrong on our side. It has been logged; please try again later."),
    msg("web.error_link_used", "This sign-in link was used already or has expired. Type {command} in chat for a new one."),
    msg("web.search_placeholder", "Search the archive"),
    msg("web.search_button", "Search"),
    msg("web.remove_filter", "remove this filter"),
    msg("web.by_member", "by {name}"),
    msg("web.results_for", "Results for “{query}”"),
    msg("web.posts_tagged", "Posts tagged {tag}"),
    msg("web.newest_posts", "Newest posts"),
    msg("web.no_posts", "No posts found."),
    msg("web.newer", "Newer"),
    msg("web.older", "Older"),
    msg("web.tags", "Tags"),
    plural("web.views", "{n} view", "{n} views", "n"),
    msg("web.documents", "Documents"),
    msg("web.involved", "People involved:"),
    plural("web.comments", "{n} comment", "{n} comments", "n"),
    msg("web.upcoming_tables", "Upcoming coffee tables"),
    msg("web.no_upcoming", "No coffee tables planned yet."),
    msg("web.past_tables", "Past coffee tables"),
    msg("web.no_past", "None yet."),
    plural("web.went", "{n} went", "{n} went", "n"),
    msg("web.subscribe_calendar", "Subscribe to these tables in your calendar"),
    msg("web.subscribe_mine", "only the tables you go to"),
    msg("web.feed_explain", "Your calendar follows every change and cancellation. The addresses are personal: don't share them."),
    msg("web.feed_reset", "Make new addresses (the old ones stop working)"),
    msg("web.my_tables", "My coffee tables"),
    msg("web.when", "When"),
    msg("web.where", "Where"),
    msg("web.seats", "Seats"),
    msg("web.status", "Status"),
    msg("web.you_are_going", "You're going."),
    msg("web.you_wait", "You're on the waitlist, place {place}."),
    msg("web.you_are_not_signed_up", "You're not signed up."),
    msg("web.join", "Join"),
    msg("web.leave", "Leave"),
    msg("web.interested", "Tell me about the next one"),
    msg("web.add_to_calendar", "Add to my calendar (.ics)"),
    plural("web.going", "Going ({n})", "Going ({n})", "n"),
    plural("web.waitlist", "Waitlist ({n})", "Waitlist ({n})", "n"),
    msg("web.who_placeholder", "Who knows about…"),
    msg("web.who_button", "Find"),
    msg("web.nobody_knows", "Nobody seems to know about “{topic}” yet."),
    plural("web.members", "{n} member", "{n} members", "n"),
    plural("web.post_count", "{n} post", "{n} posts", "n"),
    msg("web.knows_about", "Knows about:"),
    msg("web.interested_in", "Interested in:"),
    msg("web.own_profile_hint", "This is you. Change what you know about with {command}."),
    msg("web.all_posts_by", "All posts by {name}"),
    plural("web.tables_attended", "{n} coffee table", "{n} coffee tables", "n"),
    msg("web.overview_title", "How the community is doing: the last {weeks} weeks"),
    msg("web.weeks", "Weeks"),
    msg("web.show", "Show"),
    msg("web.download_csv", "Download as CSV"),
    msg("web.week", "Week of"),
    msg("web.chart_activity", "Activity per week"),
    msg("web.chart_attendance", "Sign-ups and attendance"),
    msg("web.chart_members", "New and returning members"),
    msg("web.chart_contributors", "Top contributors"),
    msg("web.chart_topics", "Top topics"),
    msg("web.col_posts", "Posts"),
    msg("web.col_comments", "Comments"),
    msg("web.col_reactions", "Reactions"),
    msg("web.col_active", "Active members"),
    msg("web.col_signups", "Sign-ups"),
    msg("web.col_came", "Came"),
    msg("web.col_no_shows", "No-shows"),
    msg("web.col_new", "New"),
    msg("web.col_returning", "Returning"),
    msg("web.col_member", "Member"),
    msg("web.col_topic", "Topic"),
    msg("web.no_data", "Nothing yet in these weeks"),
    msg("event.web_page", "On the web: {link}"),
    msg("help.help", "list commands, or explain one"),
    msg("help.post", "archive a post"),
    msg("help.save", "archive the message you reply to (or react 🔖)"),
    msg("help.show", "show a post"),
    msg("help.comment", "comment on a post"),
    msg("help.search", "search the archive (koffie* for words starting with koffie)"),
    msg("help.recent", "newest posts"),
    msg("help.tags", "tags with counts"),
    msg("help.remove", "remove a post (author or manager)"),
    msg("role.member", "member"),
    msg("role.organizer", "organizer"),
    msg("role.manager", "manager"),
    msg("post.saved", "Saved {ref} “{title}”"),
    msg("post.already_saved", "That message is already archived as {ref} “{title}”."),
    msg("post.by", "{ref} {title} — by {author}, {date}"),
    msg("post.removed_note", "(removed)"),
    msg("post.people", "people involved: {names}"),
    msg("post.not_found", "There is no post {ref}. {recent} shows the newest."),
    msg("post.is_removed", "Post {ref} has been removed."),
    msg("post.removed", "Removed {ref} “{title}”. It no longer shows in search or digests."),
    msg("post.remove_denied", "Only the author of {ref} or a manager can remove it."),
    msg("save.no_reply", "Reply to the message you want to archive with {save}, or react to it with 🔖."),
    msg("save.bot_message", "I don't archive my own messages. Reply to a member's message to save it."),
    msg("post.updated", "Updated {ref} “{title}”."),
    msg("comment.updated", "Your comment on {ref} is updated."),
    msg("save.empty", "That message has no text to archive."),
    msg("comment.added", "Comment added to {ref} ({count})"),
    msg("search.none", "Nothing found for {query}. Try fewer or other words, or {recent}."),
    msg("search.header", "Best matches for {query}:"),
    msg("search.unknown_member", "I don't know a member \"{name}\" here."),
    msg("recent.header", "Newest posts:"),
    msg("recent.header_tag", "Newest posts tagged {tag}:"),
    msg("recent.none", "No posts yet. Archive one with {post}."),
    msg("recent.none_tag", "No posts tagged {tag}."),
    msg("tags.header", "Tags:"),
    msg("tags.none", "No tags yet. Add them to a post like this: {example}"),
    msg("list.item", "{ref} {title} — {author}, {date}"),
    msg("help.event_new", "open a coffee table (organizers)"),
    msg("help.events", "upcoming coffee tables with seats left"),
    msg("help.event", "details of a coffee table"),
    msg("help.join", "sign up (or react ✅ on the announcement)"),
    msg("help.leave", "cancel your sign-up"),
    msg("help.interested", "can't come: hear about the next one"),
    msg("help.event_edit", "change title, when, where or capacity (organizers)"),
    msg("help.event_cancel", "cancel a coffee table (organizers)"),
    msg("help.event_close", "stop sign-ups (organizers)"),
    msg("help.event_open", "resume sign-ups (organizers)"),
    msg("help.event_again", "plan the next one at a new time (organizers)"),
    msg("help.ics", "calendar file for a coffee table"),
    msg("arg.bad_capacity", "\"{token}\" is not a capacity; give a whole number from 1 to {limit}, or \"unlimited\"."),
    msg("arg.too_long", "{name} is {length} characters long; the limit is {limit}."),
    msg("arg.long_title", "The title is {length} characters long; the limit is {limit}. Put the rest after a |, as the body."),
    msg("arg.too_many_tags", "At most {limit} tags, please."),
    msg("arg.search_too_much", "Search for at most {words} words, one #tag and one @member."),
    msg("arg.too_many_parts", "That is {count} parts between |; a coffee table has at most five."),
    msg("arg.bad_field", "\"{token}\" is not something I can change; use title, when, where or capacity."),
    msg("arg.bad_from", "\"{token}\" is not a follow-up; write it like \"from E3\"."),
    msg("when.unreadable", "\"{text}\" is not a date I can read. Try e.g. {example} or {iso}."),
    msg("when.no_time", "\"{text}\" has no time of day. Try e.g. {example}."),
    msg("when.past", "\"{text}\" is in the past ({shown}). Give a future time, e.g. {example}."),
    msg("event.announce", "{ref} {title} — {when}, {where} · {seats} · react ✅ or {join}"),
    plural("event.seats", "{n} seat", "{n} seats", "n"),
    msg("event.unlimited", "no seat limit"),
    msg("event.not_found", "There is no coffee table {ref}. {events} lists upcoming ones."),
    msg("event.joined", "You're in for {ref} ({count}).{reminders}"),
    msg("event.reminders", " Reminders {offsets} before."),
    msg("event.waitlisted", "{ref} is full; you're number {position} on the waitlist. I'll tell you when a seat frees up."),
    msg("event.already_going", "You're already in for {ref} ({count})."),
    msg("event.already_waitlisted", "You're already on the waitlist for {ref} (number {position})."),
    msg("event.closed", "Sign-ups for {ref} are closed."),
    msg("event.is_cancelled", "{ref} has been cancelled."),
    msg("event.started", "{ref} has already started: sign-ups and changes are over."),
    msg("event.ended", "{ref} is over."),
    msg("event.left", "You've left {ref} ({count})."),
    msg("event.left_waitlist", "You're off the waitlist for {ref}."),
    msg("event.not_signed_up", "You weren't signed up for {ref}."),
    msg("event.promoted", "A seat opened up: you're in for {ref} {title} — {when}, {where} ({count})."),
    msg("event.count", "{going}/{capacity}"),
    msg("event.count_unlimited", "{going} going"),
    msg("event.interest_noted", "Noted: I'll tell you when the next {ref} {title} is planned."),
    msg("event.interest_known", "You're already on the list for news about the next {ref}."),
    msg("event.follow_up", "The next {title} is planned: {ref} — {when}, {where}. {join} to come."),
    msg("event.follow_up_told", "Told {n} interested."),
    msg("event.none", "No coffee tables planned. Organizers open one with {new}."),
    msg("event.list_header", "Upcoming coffee tables:"),
    msg("event.list_item", "{ref} {title} — {when}, {where} · {seats}"),
    plural("event.seats_left", "{n} of {capacity} seats left", "{n} of {capacity} seats left", "n"),
    msg("event.full", "full, {n} waiting"),
    msg("event.full_no_waitlist", "full"),
    msg("event.open_seats", "{n} going"),
    msg("event.status_closed", "sign-ups closed"),
    msg("event.status_cancelled", "cancelled"),
    msg("event.details_when", "{ref} {title} — {when} ({zone})"),
    msg("event.details_where", "Place: {where}"),
    msg("event.details_going", "Going ({count}): {names}"),
    msg("event.details_waitlist", "Waitlist: {names}"),
    msg("event.details_status", "Status: {status}"),
    msg("event.details_follows", "Follows {ref}."),
    msg("event.nobody", "nobody yet"),
    msg("event.edited", "{ref} updated: {change}."),
    msg("event.changed_notice", "{ref} {title} has changed: {change}."),
    msg("event.change_title", "the title is now “{new}”"),
    msg("event.change_when", "it now starts {new} (was {old})"),
    msg("event.change_where", "the place is now {new} (was {old})"),
    msg("event.change_capacity", "capacity is now {new} (was {old})"),
    msg("event.capacity_below_going", "{ref} already has {going} going; capacity can't be lower than that."),
    msg("event.unlimited_short", "unlimited"),
    plural("event.cancelled", "{ref} is cancelled; {n} person told.", "{ref} is cancelled; {n} people told.", "n"),
    msg("event.cancel_notice", "{ref} {title} on {when} is cancelled.{reason}"),
    msg("event.cancel_reason", " Reason: {reason}"),
    msg("event.now_closed", "Sign-ups for {ref} are now closed."),
    msg("event.now_open", "Sign-ups for {ref} are open again."),
    msg("event.already_closed", "Sign-ups for {ref} were already closed."),
    msg("event.already_open", "Sign-ups for {ref} are already open."),
    msg("event.already_cancelled", "{ref} was already cancelled."),
    msg("event.ics", "Calendar file for {ref} {title}: add it to your agenda."),
    msg("reminder.text", "Reminder: {ref} {title} starts in {left} — {when}, {where}."),
    msg("help.digest_preview", "show this week's digest now"),
    msg("help.digest_on", "get the weekly digest by DM"),
    msg("help.digest_off", "stop the digest DM"),
    msg("digest.on", "You'll get the weekly digest by DM. {off} stops it."),
    msg("digest.off", "No more digest DMs. {on} brings them back."),
    msg("digest.title", "Weekly digest of {community}, {period}"),
    msg("digest.empty", "A quiet week at {community}: no new posts, discussions, coffee tables or members. Share something with {post}!"),
    msg("digest.new_posts", "New posts ({n}):"),
    msg("digest.discussions", "Active discussions:"),
    msg("digest.discussion_item", "{ref} {title} — {comments} this week"),
    msg("digest.upcoming", "Coming up:"),
    msg("digest.new_members", "New members: {names}"),
    msg("digest.more", " (+{n} more)"),
    msg("digest.pairs", "People who might want to meet:"),
    msg("digest.pair", "{a} and {b} — both into {topic}"),
    msg("digest.post_item", "{ref} {title} — {author}{facts}"),
    plural("count.member", "{n} member", "{n} members", "n"),
    plural("count.table", "{n} coffee table", "{n} coffee tables", "n"),
    plural("count.week", "{n} week", "{n} weeks", "n"),
    plural("count.signup", "{n} sign-up", "{n} sign-ups", "n"),
    plural("count.comment", "{n} comment", "{n} comments", "n"),
    plural("count.link", "{n} link", "{n} links", "n"),
    plural("count.post", "{n} post", "{n} posts", "n"),
    plural("count.reaction", "{n} reaction", "{n} reactions", "n"),
    # examples inside sentences, in the reader's words
    msg("example.when", "friday 9:30"),
    msg("example.post", "post Title | text #tag"),
    msg("post.link_title", "🔗 {title}: {url}"),
    # one example per command, as typed after the prefix (the verb in the reader's language)
    msg("example.help", "help join"),
    msg("example.save", "save #howto"),
    msg("example.show", "show #12"),
    msg("example.comment", "comment #12 Thanks, this helped!"),
    msg("example.search", "search volunteers #events"),
    msg("example.recent", "recent #howto"),
    msg("example.tags", "tags"),
    msg("example.remove", "remove #12"),
    msg("example.event_new", "event new Coffee & code | friday 9:30 | Café Noord | 12"),
    msg("example.event_again", "event again E3 next friday 9:30"),
    msg("example.event_edit", "event edit E3 where Library, room 2"),
    msg("example.event_cancel", "event cancel E3 the host is ill"),
    msg("example.event_close", "event close E3"),
    msg("example.event_open", "event open E3"),
    msg("example.events", "events"),
    msg("example.event", "event E3"),
    msg("example.join", "join E3"),
    msg("example.leave", "leave E3"),
    msg("example.interested", "interested E3"),
    msg("example.ics", "ics E3"),
    msg("example.digest_preview", "digest preview"),
    msg("example.digest_on", "digest on"),
    msg("example.digest_off", "digest off"),
    msg("example.role", "role anna organizer"),
    msg("example.roles", "roles"),
    msg("example.me", "me"),
    msg("example.me_interests", "me interests coffee, open source"),
    msg("example.me_expertise", "me expertise social media, Python"),
    msg("example.me_language", "me language nl"),
    msg("example.whois", "whois anna"),
    msg("example.who", "who social media"),
    msg("example.pair_on", "pair on"),
    msg("example.pair_off", "pair off"),
    msg("example.pair_status", "pair status"),
    msg("example.link", "link"),
    msg("example.web", "web"),
    msg("example.unlink", "unlink"),
    msg("example.stats", "stats 8"),
    msg("example.event_noshow", "event noshow E3 anna"),
    msg("example.export", "export"),
    msg("example.forget", "forget anna"),
    msg("example.me_forget", "me forget confirm"),
    # the words of usage lines (<title>, member|organizer|manager …), in the reader's language
    msg("term.command", "command"),
    msg("term.title", "title"),
    msg("term.body", "body"),
    msg("term.text", "text"),
    msg("term.post", "post"),
    msg("term.event", "event"),
    msg("term.words", "words"),
    msg("term.member", "member"),
    msg("term.organizer", "organizer"),
    msg("term.manager", "manager"),
    msg("term.when", "when"),
    msg("term.where", "where"),
    msg("term.capacity", "capacity"),
    msg("term.reason", "reason"),
    msg("term.value", "value"),
    msg("term.field", "field"),
    msg("term.topics", "topics"),
    msg("term.topic", "topic"),
    msg("term.undo", "undo"),
    msg("term.confirm", "confirm"),
    msg("term.from", "from"),
    msg("term.code", "code"),
    msg("term.weeks", "weeks"),
    msg("term.language", "language"),
    # calendar files
    msg("ics.description", "{community}: coffee table {ref}. Sign up with {join}."),
    # Slack: the new-coffee-table form, and answers where the bot was not invited
    msg("form.heading", "New coffee table"),
    msg("form.submit", "Announce"),
    msg("form.cancel", "Cancel"),
    msg("form.title", "Title"),
    msg("form.date", "Date"),
    msg("form.time", "Time"),
    msg("form.place", "Place"),
    msg("form.seats", "Seats"),
    msg("form.seats_hint", "leave empty for no limit"),
    msg("slack.not_in_channel", "(I'm not in this channel, so I answered here. Invite me with /invite to post in it.)"),
)

_FORMATTER = Formatter()


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages the bot speaks: English and every compiled catalog
    (looked up once: the registry asks for every command)."""
    found = sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (DEFAULT_LANGUAGE, *(code for code in found if code != DEFAULT_LANGUAGE))


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def template(language: str, key: str, n: int = 1) -> str:
    """The template for ``key`` in ``language`` (the form for ``n`` when it
    is a plural), falling back to English."""
    message = MESSAGES[key]
    translations = _translations(language)
    if message.other is None:
        return translations.pgettext(key, message.one)
    return translations.npgettext(key, message.one, message.other, n)


@functools.cache
def _pieces(text: str) -> tuple[tuple[str, str | None], ...]:
    # Parsed once per template: replies are on the hot path of every command.
    return tuple((literal, name) for literal, name, _spec, _conv in _FORMATTER.parse(text))


def _number(key: str, values: Mapping[str, object]) -> int:
    by = MESSAGES[key].by
    if by is None:
        return 1
    value = values[by]
    return value if isinstance(value, int) else int(str(value))


def number(language: str, n: int) -> str:
    """``27,024`` / ``27.024``: a count grouped the language's way."""
    if -1000 < n < 1000:  # nothing to group: skip Babel on the common case
        return str(n)
    return format_decimal(n, locale=babel_locale(language))


def _shown(language: str, value: str | int) -> str:
    return number(language, value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def say(language: str, key: str, /, **values: Inline | str | int) -> tuple[Inline, ...]:
    """The sentence ``key`` as rich-text pieces, placeholders filled in
    (numbers grouped the language's way)."""
    parts: list[Inline] = []
    for literal, field_name in _pieces(template(language, key, _number(key, values))):
        if literal:
            parts.append(Text(literal))
        if field_name is not None:
            value = values[field_name]
            parts.append(value if not isinstance(value, (str, int)) else Text(_shown(language, value)))
    return tuple(parts)


def say_text(language: str, key: str, /, **values: str | int) -> str:
    """The sentence ``key`` as plain text (numbers grouped the language's way)."""
    shown = {name: _shown(language, value) for name, value in values.items()}
    return template(language, key, _number(key, values)).format(**shown)


def verb(language: str, name: str) -> str:
    """A command's verb in ``language`` (``event new`` → ``event nieuw``): the
    catalogs hold each verb as declared with ``@command``, without a key."""
    return _translations(language).gettext(name)


def typed_command(language: str, prefix: str, name: str, rest: str = "") -> Code:
    """A command as the reader would type it: ``!kc aanmelden E3`` for ``join E3`` in Dutch
    (``rest`` is shown as given)."""
    return Code(f"{prefix} {verb(language, name)} {rest}".rstrip())


_USAGE_WORD = re.compile(r"[a-z]+")


def localized_usage(language: str, usage: str) -> str:
    """An argument usage with its words in ``language``: ``<title> | <when>``
    → ``<titel> | <wanneer>``, ``member|manager`` → ``lid|beheerder`` (every
    word shown is one the commands accept in that language)."""
    def term(match: re.Match[str]) -> str:
        key = f"term.{match.group()}"
        return say_text(language, key) if key in MESSAGES else match.group()

    return _USAGE_WORD.sub(term, usage)


def platform_name(language: str, platform: str) -> str:
    """``slack`` → ``Slack``: a platform as people call it."""
    key = f"platform.{platform}"
    return say_text(language, key) if key in MESSAGES else platform


def count(language: str, noun: str, n: int) -> str:
    """``1 comment`` / ``3 comments`` in the language's plural forms."""
    return say_text(language, f"count.{noun}", n=n)
