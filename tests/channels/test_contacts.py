"""How one person reaches another (a buddy introduction): each adapter writes its platform's form, and the
composition root hands the engine the adapter of her channel."""

from __future__ import annotations

from bot.app import contact_for
from bot.channels import simulator, telegram, whatsapp
from bot.core.channel import Channel
from bot.db.models import ChannelIdentity


def test_each_adapter_writes_how_someone_is_reached_on_its_platform() -> None:
    assert telegram.contact("4242") == "tg://user?id=4242 (Telegram)"
    assert whatsapp.contact("15550001") == "+15550001 (WhatsApp)"
    assert whatsapp.contact("+15550001") == "+15550001 (WhatsApp)"
    assert simulator.contact("sim-7") == "sim-7"


def test_the_engine_gets_the_contact_written_by_the_adapter_of_her_channel() -> None:
    def on(channel: Channel, external_id: str) -> ChannelIdentity:
        return ChannelIdentity(channel=channel, external_id=external_id)

    assert contact_for(on(Channel.TELEGRAM, "4242")) == telegram.contact("4242")
    assert contact_for(on(Channel.WHATSAPP, "15550001")) == whatsapp.contact("15550001")
    assert contact_for(on(Channel.SIMULATOR, "sim-7")) == "sim-7"
