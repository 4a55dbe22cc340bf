"""The exceptions that mean "the user gave us something we cannot use"."""


class InputError(Exception):
    """A user mistake: the message is one paragraph naming the file, row, column, value and
    the fix. The CLI prints it without a traceback; the API maps it to a 4xx answer."""
