"""User-facing errors: one line that names the file/field and what was expected; exit status 2."""


class UserError(Exception):
    """Bad input from the user. The CLI prints ``pisar <command>: error: <message>`` and exits 2.

    The message is one line and names the file or field and what was expected, e.g.
    ``recipe.toml: [dedup] threshold must be a number between 0 and 1, got 'high'``.
    """

    exit_status = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))
