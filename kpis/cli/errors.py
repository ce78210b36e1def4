"""What a command-line failure is: an exit code and a plain-English message (never a traceback).

Exit codes: 0 success; 1 the input was understood but is invalid; 2 unusable arguments or an
unreadable file; 3 (import-benchmarks) the file was understood and imported, but some of its rows were
skipped, each with its reason.
"""
from __future__ import annotations

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE, EXIT_PARTIAL = 0, 1, 2, 3


class CliError(Exception):
    """A failure the user can act on. `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.code = code
