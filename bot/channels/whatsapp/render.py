"""How an ``OutboundMessage`` looks on WhatsApp: pure, no calls to the Graph API.

Up to 3 short choices are reply buttons, up to 10 are a list message, more (or labels too long for either)
are a numbered text menu answered by number. A multiple choice is always a numbered menu, answered with
several numbers ("1 3 5"): WhatsApp has no buttons that can be marked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from bot.channels.whatsapp.templates import Outgoing
from bot.messaging.channel import Capabilities, OutboundMessage, split_text

MAX_TEXT = 4096
MAX_BODY = 1024  # the body of an interactive message, and an image caption
MAX_LIST_BUTTON = 20
CAPABILITIES = Capabilities(
    text_length=MAX_TEXT,
    caption_length=MAX_BODY,
    buttons=3,
    button_label=20,
    list_rows=10,
    list_label=24,
    multi_select=False,  # a numbered menu answered with several numbers instead
    media_kinds=frozenset({"voice", "audio", "photo", "document"}),  # a voice note goes as audio
    resends_started=True,  # outside her 24-hour window a started message goes again as a template
)

# Texts the adapter needs in her language, as message ids of conversations/_texts.yaml.
LIST_BUTTON_TEXT = "whatsapp_list_button"
MULTIPLE_HINT_TEXT = "whatsapp_multiple_hint"
Translate = Callable[[str, str], str]  # (text id, locale) -> the text in that locale


def invite_link(phone_number: str, code: str) -> str:
    """The click-to-chat link that opens a chat with the bot's number, ``START CODE`` already typed."""
    return f"https://wa.me/{phone_number}?text={quote('START ' + code)}"


def contact(phone_number: str) -> str:
    """How someone else reaches this WhatsApp account: her number (a buddy introduction shows it)."""
    return f"+{phone_number.lstrip('+')} (WhatsApp)"


def render(
    message: OutboundMessage,
    translate: Translate | None = None,
    document: str | None = None,
    media: str | None = None,
) -> list[Outgoing]:
    """Lay ``message`` out as WhatsApp messages, in order: buttons when there are at most 3 short choices, a
    list for up to 10, else a numbered text menu; a multiple choice always as a numbered menu. A text too
    long for an interactive body goes first on its own. ``document``: the media id of the message's file
    (``document_name``), uploaded beforehand; it goes last, after the text that presents it. ``media``: the
    media id of a note passed on (``media_kind``), uploaded beforehand: an image for a photo, else audio,
    after the text that says whose note it is."""
    parts = _render(message, translate)
    if document is not None:
        parts.append(("document", {"id": document, "filename": message.document_name or "file"}))
    if media is not None:
        parts.append(("image" if message.media_kind == "photo" else "audio", {"id": media}))
    return parts


def _render(message: OutboundMessage, translate: Translate | None) -> list[Outgoing]:
    tr = translate or (lambda text_id, locale: _FALLBACK_TEXTS.get(text_id, text_id))
    parts: list[Outgoing] = []
    text = message.text
    buttons = [(b.id, b.label) for b in message.buttons]
    if message.image_ref:
        image = {"link": message.image_ref} if message.image_ref.startswith("https://") else {"id": message.image_ref}
        if not buttons and text and len(text) <= MAX_BODY:
            return [("image", {**image, "caption": text})]
        parts.append(("image", image))
        if not text and not buttons:
            return parts
    interactive: dict[str, Any] | None = None
    if buttons and not message.multiple:
        interactive = _interactive(buttons, tr(LIST_BUTTON_TEXT, message.locale))
    if interactive is None:
        if buttons:
            text = f"{text}\n\n{numbered_menu(buttons)}"
            if message.multiple:
                text = f"{text}\n\n{tr(MULTIPLE_HINT_TEXT, message.locale)}"
        return parts + [("text", {"body": chunk, "preview_url": False}) for chunk in split_text(text, MAX_TEXT)]
    chunks = split_text(text, MAX_BODY)
    parts += [("text", {"body": chunk, "preview_url": False}) for chunk in _regroup(chunks[:-1])]
    interactive["body"] = {"text": chunks[-1]}
    return [*parts, ("interactive", interactive)]


def _interactive(buttons: list[tuple[str, str]], list_button: str) -> dict[str, Any] | None:
    """Reply buttons or a list, or None when the choices need the numbered menu."""
    can = CAPABILITIES
    if _fit_in(buttons, can.buttons, can.button_label):
        return {
            "type": "button",
            "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": label}} for i, label in buttons]},
        }
    if _fit_in(buttons, can.list_rows, can.list_label):
        return {
            "type": "list",
            "action": {
                "button": _fit(list_button, MAX_LIST_BUTTON),
                "sections": [{"rows": [{"id": i, "title": label} for i, label in buttons]}],
            },
        }
    return None


def _fit_in(buttons: list[tuple[str, str]], most: int | None, longest: int | None) -> bool:
    """At most ``most`` choices, each label at most ``longest`` characters (None: no limit)."""
    if most is not None and len(buttons) > most:
        return False
    return longest is None or all(len(label) <= longest for _, label in buttons)


def numbered_menu(buttons: list[tuple[str, str]]) -> str:
    """ "1. 😄 Very good" a line; the skip button, when there is one, is last, as the renderer puts it."""
    return "\n".join(f"{number}. {label}" for number, (_, label) in enumerate(buttons, start=1))


def _regroup(chunks: list[str]) -> list[str]:
    """Pieces cut for the 1024-character body, joined again into as few 4096-character texts as fit."""
    grouped: list[str] = []
    for chunk in chunks:
        if grouped and len(grouped[-1]) + 2 + len(chunk) <= MAX_TEXT:
            grouped[-1] = f"{grouped[-1]}\n\n{chunk}"
        else:
            grouped.append(chunk)
    return grouped


def _fit(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


_FALLBACK_TEXTS = {
    LIST_BUTTON_TEXT: "Choose",
    MULTIPLE_HINT_TEXT: "Write the numbers of your choices, for example: 1 3",
}
