"""The ``trampoline`` command: ``main.py`` has the groups and adds the other modules' commands at its end."""
