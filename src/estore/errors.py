"""The one exception type estore raises for problems a user can fix."""


class EstoreError(Exception):
    """A problem with input, configuration or state that the user can act on.

    The message names the file, line or setting and says what to do. The CLI prints it
    without a traceback and exits with status 1.
    """
