"""Each adapter declares what one message can hold on its platform (``Capabilities``); its renderer keeps
to what it declares: a text as long as the declared length is one message, a longer one is not; as many
choices as declared buttons are buttons, more become a list picker (where there is one), then a menu."""

from __future__ import annotations

from bot.channels.simulator import SimulatorChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram import render as telegram
from bot.channels.whatsapp import WhatsAppChannel
from bot.channels.whatsapp import render as whatsapp
from bot.core.clock import FakeClock
from bot.messaging.channel import Button, Capabilities, OutboundMessage


def choices(count: int, length: int = 5) -> tuple[Button, ...]:
    return tuple(Button(f"q|{n}", f"{n}".rjust(length, "x")) for n in range(count))


def test_every_adapter_declares_its_capabilities(clock: FakeClock) -> None:
    for adapter in (TelegramChannel, WhatsAppChannel, SimulatorChannel(clock)):
        assert isinstance(adapter.capabilities, Capabilities)
    assert TelegramChannel.capabilities.multi_select and SimulatorChannel.capabilities.multi_select
    assert not WhatsAppChannel.capabilities.multi_select  # a numbered menu answered with numbers instead


def test_telegram_keeps_to_its_declared_text_and_caption_lengths() -> None:
    can = TelegramChannel.capabilities
    assert can.text_length is not None and can.caption_length is not None
    emoji = "😀"  # two UTF-16 units: Telegram's count, not Python's
    assert len(telegram.render(OutboundMessage(emoji * (can.text_length // 2), "en"))) == 1
    assert len(telegram.render(OutboundMessage(emoji * (can.text_length // 2 + 1), "en"))) == 2
    fits = OutboundMessage("a" * can.caption_length, "en", image_ref="https://example.org/chart.png")
    assert [(p.photo is not None, p.text is not None) for p in telegram.render(fits)] == [(True, True)]
    longer = OutboundMessage("a" * (can.caption_length + 1), "en", image_ref="https://example.org/chart.png")
    assert [(p.photo is not None, p.text is not None) for p in telegram.render(longer)] == [
        (True, False),
        (False, True),
    ]


def test_whatsapp_keeps_to_its_declared_buttons_and_list() -> None:
    can = WhatsAppChannel.capabilities
    assert can.buttons is not None and can.button_label is not None and can.list_label is not None

    def shape(buttons: tuple[Button, ...]) -> str:
        kind, body = whatsapp.render(OutboundMessage("How are you?", "en", buttons=buttons))[-1]
        return str(body["type"]) if kind == "interactive" else kind

    assert shape(choices(can.buttons, can.button_label)) == "button"
    assert shape(choices(can.buttons + 1)) == "list"
    assert shape(choices(can.buttons, can.button_label + 1)) == "list"
    assert shape(choices(can.list_rows, can.list_label)) == "list"
    assert shape(choices(can.list_rows + 1)) == "text"  # the numbered menu
    assert shape(choices(can.list_rows, can.list_label + 1)) == "text"
