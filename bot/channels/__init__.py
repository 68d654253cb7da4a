"""Channel adapters: one module per platform, all of the same shape (see base.py)."""
