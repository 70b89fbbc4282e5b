"""Commands never show a user a Python traceback: an unexpected error is one line, and the traceback goes to a log.

User errors (bad input, bad settings) are caught where they happen and reported with the
file, the line or key and the rule. Anything else is a bug of the workbench: the command
prints one line naming the error and the log that holds the traceback, and exits 70
(EX_SOFTWARE); Ctrl-C exits 130 quietly, and a reader that stops early (``| head``) ends
the command quietly, as any Unix command does.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path


def log_dir() -> Path:
    """Where tracebacks of unexpected errors go: $WORKBENCH_CACHE/logs (default ~/.cache/community-workbench)."""
    return Path(os.environ.get("WORKBENCH_CACHE", Path.home() / ".cache" / "community-workbench")) / "logs"


def guarded(main: Callable[[], int], command: str) -> int:
    """Run a command's ``main``; on an unexpected error print one line and the path of the traceback's log."""
    try:
        code = main()
        sys.stdout.flush()  # here, not at exit: a closed pipe is then caught below
        return code
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader closed the pipe (| head): stop writing, quietly
        try:  # Python flushes stdout at exit: into nothing, not the closed pipe
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # stdout is not a file here (a test's capture): nothing to flush into the pipe
        return 141  # 128 + SIGPIPE, as a shell reports it
    except Exception as err:  # the one place a command may catch everything: to report it, not hide it
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / f"{command.replace(' ', '_')}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        first = (str(err).strip().splitlines() or [""])[0][:200]
        print(
            f"{command}: internal error ({type(err).__name__}: {first}). This is a bug of the workbench, not of your "
            f"data; the details are in {log}",
            file=sys.stderr,
        )
        return 70
