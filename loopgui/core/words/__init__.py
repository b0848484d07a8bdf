"""Words: the one place where facts become sentences."""
