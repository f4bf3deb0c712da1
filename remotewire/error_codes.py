"""The stable, machine-readable ``code`` of every error the helpdesk server answers.

An error body is ``{"detail": "<message for people>", "code": "<one of these>"}``. Apps
branch on the code, never on the message, which may be reworded or translated. A code,
once published, keeps its meaning; docs/server.md lists them with their HTTP status.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # 400 / 422: the request itself is wrong
    INVALID_INPUT = "invalid-input"
    MISSING_FIELDS = "missing-fields"
    BAD_QUERY = "bad-query"
    UNKNOWN_PERSON_REF = "unknown-person-ref"
    INVALID_LOGO = "invalid-logo"
    WEAK_PASSWORD = "weak-password"
    BAD_HOST = "bad-host"
    BODY_TOO_LARGE = "body-too-large"
    BODY_TOO_SLOW = "body-too-slow"
    # 401: who is calling is unknown
    MISSING_BEARER_TOKEN = "missing-bearer-token"
    INVALID_BEARER_TOKEN = "invalid-bearer-token"
    WRONG_LOGIN = "wrong-login"
    WRONG_PRESENCE_KEY = "wrong-presence-key"
    BAD_RELAY_SECRET = "bad-relay-secret"
    BAD_API_TOKEN = "bad-api-token"
    STALE_RELAY_REPORT = "stale-relay-report"
    # 403: known caller, not allowed this
    WRONG_PARTNER_PASSWORD = "wrong-partner-password"
    NOT_AN_AGENT = "not-an-agent"
    NOT_APP_AGENT = "not-app-agent"
    NOT_APP_MEMBER = "not-app-member"
    NOT_APP_ADMIN = "not-app-admin"
    NOT_A_PARTY = "not-a-party"
    MISSING_PERMISSION = "missing-permission"
    CROSS_SITE_REQUEST = "cross-site-request"
    BAD_FORM_TOKEN = "bad-form-token"
    BAD_CONNECT_CODE = "bad-connect-code"
    CONNECT_CODE_EXPIRED = "connect-code-expired"
    OUT_OF_TOKEN_SCOPE = "out-of-token-scope"
    # 404
    UNKNOWN_APP = "unknown-app"
    UNKNOWN_SESSION = "unknown-session"
    UNKNOWN_TICKET = "unknown-ticket"
    UNKNOWN_PERSON = "unknown-person"
    UNKNOWN_ROUTE = "unknown-route"
    UNKNOWN_PROFILE = "unknown-profile"
    UNKNOWN_USER = "unknown-user"
    UNKNOWN_API_TOKEN = "unknown-api-token"
    NO_BUILD = "no-build"
    # 405
    METHOD_NOT_ALLOWED = "method-not-allowed"
    # 409: not now
    CUSTOMER_OFFLINE = "customer-offline"
    CUSTOMER_BUSY = "customer-busy"
    ILLEGAL_TRANSITION = "illegal-transition"
    # 416: a download's Range lies outside the file
    RANGE_NOT_SATISFIABLE = "range-not-satisfiable"
    # 429 (with Retry-After)
    TOO_MANY_FAILED_LOGINS = "too-many-failed-logins"
    TOO_MANY_FAILED_ATTEMPTS = "too-many-failed-attempts"
    TOO_MANY_REGISTRATIONS = "too-many-registrations"
    TOO_MANY_RELAY_REPORTS = "too-many-relay-reports"
    # 503 (with Retry-After)
    SERVER_BUSY = "server-busy"
    DOWNLOAD_PREPARING = "download-preparing"
    # anything else
    HTTP_ERROR = "http-error"
    INTERNAL_ERROR = "internal-error"
