"""Messages apart from any platform: the channel-neutral types and the adapter protocol, outbox rows, the
dispatcher, receipts, what is forgotten after sending, the inbound guard. See docs/architecture.md."""
