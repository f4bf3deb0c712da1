"""Domain errors: what the services raise, with no HTTP in them.

One exception handler (``helpdesk.http_errors``) turns them into responses. The branch
decides the status; the instance carries its stable machine-readable ``code``
(``remotewire.error_codes.ErrorCode``, listed in docs/server.md) and a message for
people::

    DomainError                      .code, .message
     ├── InvalidInput                422  the request is malformed or incomplete
     │    └── BadQuery               400  a Movidesk-style query or reference is wrong
     ├── NotAuthenticated            401  no or wrong credentials
     ├── NotAllowed                  403  a known caller, but not allowed this
     ├── NotFound                    404
     ├── Conflict                    409  the state of things forbids it now
     │    └── IllegalTransition      409  a session event its state does not allow (a bug)
     ├── RateLimited                 429  .retry_after seconds
     └── Unavailable                 503  .retry_after seconds: busy now, not refused
"""

from __future__ import annotations

from remotewire.error_codes import ErrorCode


class DomainError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidInput(DomainError):
    pass


class BadQuery(InvalidInput):
    pass


class NotAuthenticated(DomainError):
    pass


class NotAllowed(DomainError):
    pass


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class IllegalTransition(Conflict):
    """Raised by ``helpdesk.lifecycle``: the caller chose an event the state forbids."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.ILLEGAL_TRANSITION, message)


class RateLimited(DomainError):
    def __init__(self, code: ErrorCode, message: str, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    def __init__(self, code: ErrorCode, message: str, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after
