"""``python -m bot`` is the same as the ``trampoline`` command."""

from bot.cli import main

main()
