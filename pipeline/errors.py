"""The project's own error for bad input: the command line prints its message as one line and exits 2."""


class UsageError(Exception):
    """Something the user asked for cannot be done; the message says what is wrong and what to do."""
