"""`lazy`: a value computed once per (immutable) object, on first use.

`functools.cached_property` does the same, but on Python 3.11 it takes a lock shared by every instance of the
class on each first use (removed in 3.12); a decision builds a fresh context and facts and reads four such
values from each, so the lock costs more than the values. The objects here are immutable snapshots: two
threads computing one value at once get equal values, and either may be kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class lazy(Generic[T]):  # noqa: N801 — used as a decorator, like cached_property
    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> lazy[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | lazy[T]:
        if instance is None:
            return self
        value = self.compute(instance)
        # stored in the instance's own dict: from now on attribute look-up finds it there, without this method
        instance.__dict__[self.name] = value
        return value
