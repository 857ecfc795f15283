"""Which exceptions are the user's mistakes, and how they read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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
