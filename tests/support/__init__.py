"""What tests share: the harness, helpers and fixtures. Test modules import from here (and tests.emulators),
never from one another (tests/test_tests_layout.py)."""
