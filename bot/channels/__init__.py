"""Channel adapters: one module per platform, all of the same shape (the protocol is bot/messaging/channel.py)."""
