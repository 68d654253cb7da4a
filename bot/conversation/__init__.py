"""The conversation engine: flows as data, the pure interpreter, rendering, actions, and the service
that runs them inside the inbox transaction."""
