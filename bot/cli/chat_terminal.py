"""How ``trampoline chat`` shows what the bot sends: the text, the buttons numbered (with the hint for a
multiple choice, answered with several numbers), and what a message carries besides: an image by where it
lies on this machine, a file (her data export) written to a folder of this user's own whose path is printed,
a note passed on by its kind. ``bot/cli/service.py`` runs the chat."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.messaging.channel import OutboundMessage

# The hint under a multiple choice where the numbers are typed (as on WhatsApp), by its text id.
MULTIPLE_HINT = "whatsapp_multiple_hint"
NOTE_MARKS = {"voice": "🎤", "audio": "🎵", "photo": "📷"}


@dataclass
class Terminal:
    """``say``: a text of conversations/_texts.yaml in a language, (text id, locale) -> text."""

    say: Callable[[str, str], str]
    folder: Path | None = None  # made on the first file: private to this user (0700), in the system's temp folder

    def lines(self, message: OutboundMessage) -> list[str]:
        shown = [f"\nbot: {message.text}"]
        shown += [f"  {number}. {button.label}" for number, button in enumerate(message.buttons, start=1)]
        if message.multiple and message.buttons:
            shown.append(f"  ({self.say(MULTIPLE_HINT, message.locale)})")
        if message.image_ref:
            shown.append(f"🖼 {message.image_ref}")
        file = message.document_file()
        if file is not None:
            shown.append(f"📎 {file[0]}: {self.write(file[0], file[1])}")
        if message.media_kind is not None and message.media_ref is not None:
            shown.append(f"{NOTE_MARKS.get(message.media_kind, '📎')} {message.media_kind}")
        return shown

    def write(self, name: str, data: bytes) -> Path:
        """``data`` as the file ``name`` in this chat's own folder, readable by this user only; a name already
        written gets a number."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="trampoline-chat-"))  # mode 0700
        stem, suffix = os.path.splitext(Path(name).name or "file")
        path, number = self.folder / f"{stem}{suffix}", 1
        while path.exists():
            number += 1
            path = self.folder / f"{stem}-{number}{suffix}"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        return path.resolve()
