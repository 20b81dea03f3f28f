"""One exception tree with stable codes.

    EscwatchError                       E000
    ├── InputError                      E100  a document cannot be read or parsed
    │   ├── EmptyInputError             E101
    │   ├── BinaryInputError            E102
    │   ├── EncodingError               E103
    │   ├── MalformedJSONError          E104
    │   ├── UnsupportedFormatError      E105
    │   ├── EmptyExtractionError        E106
    │   ├── WrongTypeError              E107
    │   └── TooLargeError               E108
    ├── PackError                       E200  a pack cannot be loaded
    │   ├── PackNotFoundError           E201
    │   ├── PackYAMLError               E202
    │   └── PackSchemaError             E203
    ├── StoreError                      E300  the store cannot be opened or written
    │   └── NotFoundError               E301
    ├── FetchError                      E400  a URL or feed cannot be fetched
    │   ├── BlockedAddressError         E401  private/loopback/link-local target refused
    │   ├── RobotsDisallowedError       E402
    │   ├── FetchTimeoutError           E403
    │   ├── HTTPStatusError             E404
    │   ├── RedirectError               E405  too many, a loop, or to a refused target
    │   ├── ResponseTooLargeError       E406  over max_bytes (also after decompression)
    │   └── FeedError                   E407  unparsable or hostile feed XML
    ├── ConfigError                     E500  settings are invalid
    ├── AssessError                     E600  the assessment cannot be made or delivered
    │   └── DeliveryError               E601  an alert could not be delivered
    └── EngineError                     E800  the Ray engine cannot start or a worker failed

Each error carries a ``hint``: what the user can do about it.
"""

from __future__ import annotations


class EscwatchError(Exception):
    code = "E000"
    hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" + (f" — {self.hint}" if self.hint else "")


class InputError(EscwatchError):
    code = "E100"
    hint = "check the file; escwatch skipped it and went on"


class EmptyInputError(InputError):
    code = "E101"
    hint = "the document has no text; remove it or fill it"


class BinaryInputError(InputError):
    code = "E102"
    hint = "this looks like a binary file; give escwatch text, HTML or JSON"


class EncodingError(InputError):
    code = "E103"
    hint = "save the file as UTF-8"


class MalformedJSONError(InputError):
    code = "E104"
    hint = "each line of a .jsonl file must be one JSON object with a 'text' key"


class UnsupportedFormatError(InputError):
    code = "E105"
    hint = "supported: .txt .md .html .htm .json .jsonl"


class EmptyExtractionError(InputError):
    code = "E106"
    hint = "no article text could be extracted from this page"


class WrongTypeError(InputError):
    code = "E107"
    hint = "a JSON report needs 'text' as a string; 'published' as an ISO date"


class TooLargeError(InputError):
    code = "E108"
    hint = "split the file or raise --max-bytes"


class PackError(EscwatchError):
    code = "E200"
    hint = "see src/escwatch/packs/README.md for the pack format"


class PackNotFoundError(PackError):
    code = "E201"
    hint = "pass a folder that holds a pack.yaml"


class PackYAMLError(PackError):
    code = "E202"


class PackSchemaError(PackError):
    code = "E203"


class StoreError(EscwatchError):
    code = "E300"
    hint = "check --db / ESCWATCH_DB"


class NotFoundError(StoreError):
    code = "E301"
    hint = "list what the store holds with `escwatch reports`"


class FetchError(EscwatchError):
    code = "E400"


class BlockedAddressError(FetchError):
    """The URL points at a private, loopback, link-local or otherwise non-public address."""

    code = "E401"
    hint = "pass --allow-private to fetch from your own network on purpose"


class RobotsDisallowedError(FetchError):
    code = "E402"
    hint = "the site's robots.txt forbids this path; pass --ignore-robots only with the site's permission"


class FetchTimeoutError(FetchError):
    code = "E403"
    hint = "the server is slow or unreachable; it is retried on the next run"


class HTTPStatusError(FetchError):
    code = "E404"
    status: int | None = None  # the HTTP status, set by the fetcher


class RedirectError(FetchError):
    """Too many redirects, a redirect loop, or a redirect to a refused address or scheme."""

    code = "E405"


class ResponseTooLargeError(FetchError):
    code = "E406"
    hint = "raise max_bytes in escwatch.toml if this source is trusted"


class FeedError(FetchError):
    """A feed that cannot be parsed or is hostile (entity expansion, external entities)."""

    code = "E407"


class ConfigError(EscwatchError):
    code = "E500"


class AssessError(EscwatchError):
    code = "E600"


class DeliveryError(AssessError):
    """An alert could not be delivered to a channel (after its retries)."""

    code = "E601"
    hint = "check the channel settings under [[alerts.channels]] in escwatch.toml; undelivered alerts are retried"


class EngineError(EscwatchError):
    code = "E800"
    hint = "check the Ray address and that escwatch is installed on every node; --engine local always works"
