"""What runs in the service: the inbox (the inbound transaction), the scheduler ticks and the metrics."""
