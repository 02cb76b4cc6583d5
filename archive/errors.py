"""Errors the user can act on. Their message is one line, shown as is by the command line and the app."""


class ArchiveError(Exception):
    """Base class: `str(error)` is a complete, one-line message for the user."""


class IndexMissingError(ArchiveError):
    pass


class IndexVersionError(ArchiveError):
    pass


class IndexCorruptError(ArchiveError):
    pass


class IndexBusyError(ArchiveError):
    pass


class InputError(ArchiveError):
    pass
