"""The one error type the runtime raises when a local service cannot be provided."""


class RuntimeServiceError(RuntimeError):
    """A local service could not be started, reached or stopped.

    The message is one human-readable line (plus, for server crashes, the tail of
    the server log) so `talentloop run` can print it instead of a traceback.
    """


class CommandError(Exception):
    """A problem with a command's input or environment, printed as one line."""
