"""Problems found in the input, as values with a location."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, where it is and how to fix it."""

    path: str
    line: int
    column: int
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """Return the problem as one `file:line:column: severity: message (hint)` line."""
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        text = f"{where}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def workflow_command(self) -> str:
        """Return the problem as a GitHub Actions workflow command, shown on the pull request."""
        kind = "error" if self.is_error else "warning"
        message = self.message + (f" ({self.hint})" if self.hint else "")
        props = [f"file={_escape_property(self.path)}"]
        if self.line:
            props.append(f"line={self.line}")
            props.append(f"col={max(self.column, 1)}")
        return f"::{kind} {','.join(props)}::{_escape_data(message)}"

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "column": self.column, "message": self.message,
                "hint": self.hint, "severity": self.severity.value}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Problem:
        return cls(str(value["path"]), int(value["line"]), int(value["column"]), str(value["message"]),
                   str(value["hint"]), Severity(value["severity"]))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class SitegenError(Exception):
    """Raised with every problem that stops a command; the CLI prints them, never a traceback."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))

    def __reduce__(self) -> tuple[type[SitegenError], tuple[list[Problem]]]:
        return (SitegenError, (self.problems,))  # so a worker process can send it back whole


# What to do about the operating system's refusals a user can meet, by errno name.
_OS_HINTS = {
    "EACCES": "check the permissions of the folder, or choose another folder",
    "EPERM": "check the permissions of the folder, or choose another folder",
    "EROFS": "the file system is read-only: choose a folder on a writable one",
    "ENOSPC": "the disk is full: free some space and build again; the published site is untouched",
    "EDQUOT": "the disk quota is used up: free some space and build again; the published site is untouched",
    "ENOENT": "check the path",
    "ENOTDIR": "a part of the path is a file, not a folder: check the path",
    "ELOOP": "a symbolic link points back to itself: remove or fix the link",
    "EISDIR": "a folder stands where a file is expected: check the path",
}


def os_problem(error: OSError, path: Path, action: str) -> Problem:
    """Return an operating-system error as one located line: what failed, why, and what to do."""
    from sitegen.project import display  # imported here: sitegen.project imports this module

    name = errno.errorcode.get(error.errno or 0, "")
    return Problem(display(path), 0, 0, f"{action}: {error.strerror or error}", _OS_HINTS.get(name, ""))
