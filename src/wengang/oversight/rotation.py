"""Key rotation for sealed numbers: re-seal every stored value under the current sealing key.

After a new key is put first in ``WENGANG_FIELD_KEYS`` (``cases.sealing``), new values are
sealed with it and old ones still open with theirs. ``rotate`` re-seals the old ones so that
the old keys can be dropped from the ring: each value is opened with the key that sealed it
and sealed again for the same owner under the current key. The blind indexes and masked forms
do not change (their key is not a sealing key), so searches and exported payments are not
touched.

- **Restartable and idempotent**: what still needs re-sealing is found by its key id (a value
  not starting ``sm4gcm1:<current id>:``); each chunk commits on its own, so an interrupted run
  is simply run again, and a finished one finds nothing to do.
- **Safe alongside the application**: each row is written only if it still holds the value
  that was read (compare-and-set), so a number changed meanwhile is never overwritten with the
  old one re-sealed; it is left for the next run.

``sealed_columns`` lists every column holding a sealed value and whose USCC it is sealed for (a
person's values: the person's blind index, ``Person.resident_id_owner``): the account columns
by name, and every ``SealedResidentId`` model found by itself. A model with
another kind of sealed column must be added here (a test checks that none is missing).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Expression
from django.db.models.functions import Coalesce

from wengang.accounts.models import Role, User
from wengang.cases import sealing
from wengang.cases.models.common import SealedResidentId
from wengang.cases.sealing import ACCOUNT, RESIDENT_ID, Kind

from . import audit
from .errors import NotAllowed


@dataclass(frozen=True)
class SealedColumn:
    """A column of sealed values, and the path from its row to the owner's USCC (or an
    expression: a case or payment of a person is sealed for the person's blind index)."""

    model: str
    column: str
    kind: Kind
    owner: str | Expression

    @property
    def label(self) -> str:
        return f"{self.model}.{self.column}"


ACCOUNTS = (
    SealedColumn("cases.Unit", "account_sealed", ACCOUNT, "uscc"),
    SealedColumn("cases.Person", "account_sealed", ACCOUNT, "resident_id_digest"),
    SealedColumn("cases.Case", "account_sealed", ACCOUNT,
                 Coalesce("unit__uscc", "person__resident_id_digest")),
    SealedColumn("cases.Commitment", "account_sealed", ACCOUNT, "case__unit__uscc"),
    SealedColumn("payments.Payment", "account_sealed", ACCOUNT,
                 Coalesce("unit__uscc", "person__resident_id_digest")),
    SealedColumn("payments.AccountChange", "account_sealed", ACCOUNT,
                 Coalesce("unit__uscc", "person__resident_id_digest")),
)


def sealed_columns() -> tuple[SealedColumn, ...]:
    """Every sealed column: the account columns, and each model with resident ID numbers
    (``SealedResidentId``, found by itself: it names its owner's path)."""
    people = tuple(SealedColumn(model._meta.label, "resident_id_sealed", RESIDENT_ID,
                                model.resident_id_owner_path)
                   for model in apps.get_models() if issubclass(model, SealedResidentId))
    return ACCOUNTS + people


CHUNK = 2000


def _stale(column: SealedColumn):
    model = apps.get_model(column.model)
    return (model._base_manager.exclude(**{column.column: ""})
            .exclude(**{f"{column.column}__startswith": sealing.sealed_prefix()}))


def pending() -> dict[str, int]:
    """How many values of each column are sealed under an older key."""
    return {column.label: _stale(column).count() for column in sealed_columns()}


@dataclass
class Rotation:
    key_id: str
    resealed: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    """Values changed by someone else while being re-sealed: the next run takes them."""

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


def rotate(*, actor: User, progress: Callable[[str, int, int], None] | None = None,
           chunk: int = CHUNK) -> Rotation:
    """Re-seal every value not sealed under the current key; report what was done.

    Key management is the system administrator's (role admin). ``progress(column, done,
    total)`` is told after each chunk. The rotation is recorded in the audit chain (a
    configuration change), with the counts and the key id, never a key.
    """
    if actor.role != Role.ADMIN or not actor.is_active:
        raise NotAllowed("只有系统管理员可以轮换加密密钥",
                         "only a system administrator (role admin) rotates the field keys")
    result = Rotation(key_id=sealing.current_key_id())
    for column in sealed_columns():
        model = apps.get_model(column.model)
        table, pk = model._meta.db_table, model._meta.pk.column
        sql = f"UPDATE {table} SET {column.column} = %s WHERE {pk} = %s AND {column.column} = %s"
        total, done, after = _stale(column).count(), 0, None
        while True:
            rows = _stale(column).order_by("pk")
            if after is not None:
                rows = rows.filter(pk__gt=after)
            rows = list(rows.values_list("pk", column.column, column.owner)[:chunk])
            if not rows:
                break
            updates = [(sealing.reseal(column.kind, sealed, owner=owner), row_pk, sealed)
                       for row_pk, sealed, owner in rows]
            with transaction.atomic(), connection.cursor() as cursor:
                for update in updates:  # one by one: each row's count tells a lost race
                    cursor.execute(sql, update)
                    if cursor.rowcount == 1:
                        done += 1
                    else:
                        result.skipped += 1
            after = rows[-1][0]
            if progress:
                progress(column.label, done, total)
        result.resealed[column.label] = done
    audit.record("keys.rotated", actor=actor.get_username(), target="field_keys",
                 details={"key_id": result.key_id, "resealed": result.resealed,
                          "skipped": result.skipped})
    return result
