"""The one ASGI app (webhooks, health, readiness, metrics) and the web simulator."""
