"""A user-facing message in both languages: the one form every message of the library takes.

Messages are built as a (zh, en) pair where they arise and rendered in one language only where
they are shown (`Text.get`), so no caller ever splits a joined string. Flags are codes plus
parameters instead (`scoring.flags`); both render through `scoring.i18n`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def as_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    def __str__(self) -> str:  # logs and tracebacks show both, a user never sees this form
        return f"{self.zh} / {self.en}"


class SanweiError(Exception):
    """An error whose message the user reads, in either language (`text.get(lang)`)."""

    def __init__(self, zh: str, en: str):
        self.text = Text(zh, en)
        super().__init__(str(self.text))

    def get(self, lang: str = "zh") -> str:
        return self.text.get(lang)
