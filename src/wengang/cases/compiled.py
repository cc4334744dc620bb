"""Hot reads compiled to SQL once per worker thread, then run with each request's values.

Django builds and compiles a queryset's SQL anew every time it runs it. For the reads every
confirmation makes — the case with its unit (80 columns: ``web.access.get_case_for``), the case
locked and read back in the workflow's transaction, the card's events — that compilation costs
more CPU than PostgreSQL spends answering (in-process, 300 reads: a case with its unit 1.5–2.4
ms through the ORM, 0.2 ms compiled once). The SQL depends only on the queryset's shape, never
on its values, so a ``CompiledQuery`` builds the queryset once from placeholder values, compiles
it, notes where each placeholder sits among the statement's parameters, and each call puts the
real values there and turns the rows into model instances as the ORM's ``ModelIterable`` does
(``select_related`` included). The statement is the very one the ORM runs (tests compare them),
with the same parameters; a value of another type than its placeholder takes the ORM's own path.

Only plain model querysets: no annotations, ``prefetch_related`` or ``extra`` (refused when
compiled, i.e. by the tests). It leans on Django's internals (the compiler's ``select`` and
``klass_info``, ``get_related_populators``, the fetch mode): tests/web/test_compiled_queries.py
compares statements, rows and instances with the ORM's, so a Django release that changes them
fails there first (pyproject pins Django below 6.2).
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, _get_from_db, get_related_populators
from django.db.transaction import TransactionManagementError


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    slots: tuple[int, ...]          # where each placeholder's value goes among ``params``
    locks: bool                     # SELECT … FOR UPDATE: only inside a transaction
    from_db: Callable[..., Model]  # the model's ``from_db`` with the queryset's fetch mode
    init_list: list[str]
    model_slice: slice
    converters: dict
    compiler: object                # for ``apply_converters`` (a static use of the compiler)
    populators: list


class CompiledQuery[M: Model]:
    """``build(*values)``'s rows, its SQL compiled once per thread and database alias (each
    thread has its own connections: a statement keeps the compiler, and so the connection, it
    was compiled with).

    ``placeholders`` stand for the values when compiling: each must reach the statement's
    parameters unchanged and exactly once (distinct, unlikely values: a negative id, a string
    no real value has).
    """

    def __init__(self, build: Callable[..., QuerySet[M]], *placeholders: object):
        self.build = build
        self.placeholders = placeholders
        self._local = threading.local()

    def __call__(self, *values: object, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        if len(values) != len(self.placeholders) or any(
                type(value) is not type(placeholder)
                for value, placeholder in zip(values, self.placeholders, strict=True)):
            return list(self.build(*values).using(using))  # the ORM prepares other types
        connection = connections[using]
        statements = self.statements()
        statement = statements.get(using)
        if statement is None:
            statement = statements[using] = self._compile(using)
        if statement.locks and connection.get_autocommit():  # as the ORM refuses it
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction.")
        params = list(statement.params)
        for slot, value in zip(statement.slots, values, strict=True):
            params[slot] = value
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        if statement.converters:
            rows = statement.compiler.apply_converters(rows, statement.converters)
        instances = []
        for row in rows:
            instance = statement.from_db(using, statement.init_list, row[statement.model_slice])
            for populator in statement.populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def statements(self) -> dict[str, _Statement]:
        """This thread's compiled statements, by database alias."""
        if not hasattr(self._local, "statements"):
            self._local.statements = {}
        return self._local.statements

    def first(self, *values: object, using: str = DEFAULT_DB_ALIAS) -> M | None:
        rows = self(*values, using=using)
        return rows[0] if rows else None

    def _compile(self, using: str) -> _Statement:
        queryset = self.build(*self.placeholders).using(using)
        if (queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups
                or queryset._known_related_objects or queryset.query.extra
                or queryset.query.annotation_select or queryset._fetch_mode.track_peers):
            raise NotSupportedError("CompiledQuery: a plain model queryset only")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = []
        for placeholder in self.placeholders:
            found = [i for i, param in enumerate(params)
                     if type(param) is type(placeholder) and param == placeholder]
            if len(found) != 1:
                raise NotSupportedError(f"CompiledQuery: placeholder {placeholder!r} is among the "
                                        f"parameters {len(found)} times, not once")
            slots.append(found[0])
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fetch_mode = queryset._fetch_mode
        return _Statement(
            sql=sql, params=tuple(params), slots=tuple(slots),
            locks=(bool(queryset.query.select_for_update)
                   and compiler.connection.features.has_select_for_update
                   and compiler.connection.features.supports_transactions),
            from_db=_get_from_db(klass_info["model"], fetch_mode),
            init_list=[column[0].target.attname for column in select[start:end]],
            model_slice=slice(start, end),
            converters=compiler.get_converters([column[0] for column in
                                                select[:compiler.col_count]]),
            compiler=compiler,
            populators=get_related_populators(klass_info, select, using, fetch_mode))
