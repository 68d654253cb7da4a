"""``python -m bot`` is the same as the ``trampoline`` command."""

from bot.cli.main import main

main()
