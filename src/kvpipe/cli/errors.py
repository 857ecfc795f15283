"""Which exceptions are the user's mistakes, and how they read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kvpipe.system import System


class UserError(Exception):
    """A mistake in the user's input: reported in one message, exit status 2."""


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the domain's validation errors into :class:`UserError`."""
    from kvpipe.config import ConfigError
    from kvpipe.config.units import UnitError
    from kvpipe.mapping import MappingError
    from kvpipe.report.files import OutputPathError
    from kvpipe.workload import ArchError

    try:
        yield
    except ConfigError as e:
        raise UserError(str(e)) from None
    except (MappingError, ArchError) as e:
        raise UserError(f"  {e}") from None
    except UnitError as e:
        raise UserError(f"  {e.message}") from None
    except OutputPathError as e:
        raise UserError(f"  {e}") from None


def check_context_flag(system: System, context_tokens: int | None, flag: str = "--context") -> None:
    """A context given on the command line obeys the model's maximum as the file's does
    (the file's ``workload.beyond_model_context`` lifts it)."""
    from kvpipe.workload.arch import context_problem

    if context_tokens is None:
        return
    problem = context_problem(system.model.arch, context_tokens, system.workload.beyond_model_context)
    if problem:
        raise UserError(f"  {flag}: {problem}")
