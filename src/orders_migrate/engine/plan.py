"""The compiled plan of a mapping table: frozen, shared by every order and thread, and picklable as its
table's text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..money import DEFAULT_LOCALE
from ..paths import Path
from ..report import Entry, Validation
from . import apply
from .aliases import Aliases
from .apply import AddressConversion, Conversion
from .context import Step
from .dialect import Dialect, Normaliser
from .table import Table
from .unmapped import Walk
from .webhook_table import WebhookSpec

if TYPE_CHECKING:
    from .validity import Validity


@dataclass(frozen=True, slots=True)
class Plan:
    table: Table
    steps: tuple[Step, ...]
    reads: Mapping[str, Any]  # trie of every Stores path some row reads
    walk: Walk  # the unmapped report over that trie, as generated code
    required: tuple[Path, ...]
    standalone_address: Mapping[bool, tuple[Step, ...]]
    address_reads: Mapping[str, Any]
    address_walk: Walk
    velo: Normaliser
    fulfillment: Section
    refund: Section
    checks: tuple[Step, ...]
    webhooks: tuple[WebhookSpec, ...]
    generate: bool = True
    code: tuple[tuple[str, str], ...] = ()  # (file name in tracebacks, generated source), in compile order
    companions: Mapping[str, Section] = field(default_factory=dict)  # by COMPANION_SECTIONS name
    aliases: Aliases | None = None  # the table's aliases of undocumented values, applied before the rows
    webhook_checks: Mapping[str, Section] = field(default_factory=dict)  # by webhook id: its `checks` rows
    # Built on first use, once per plan: the check of converted orders that validity by construction leaves.
    _built: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[Callable[[str, str, bool], Plan], tuple[str, str, bool]]:
        """A plan travels as its table's text (to a worker process, say) and is compiled again there,
        once per process: generated functions themselves cannot be pickled."""
        from .compile import plan_of

        if not self.table.text:
            raise TypeError("cannot pickle a plan whose table was not loaded from text (load_table)")
        return plan_of, (self.table.text, self.table.source, self.generate)

    def validity(self) -> Validity:
        """The check a converted order gets when it is validated (``validate=True``): what the rows
        cannot imply (engine/validity.py); built on first use, as it needs the eCommerce schema."""
        found = self._built.get("validity")
        if found is None:
            from .validity import Validity

            found = self._built["validity"] = Validity(self.table)
        return found

    def source(self) -> dict[str, str]:
        """The generated Python of every scope, by the file name a traceback from inside shows."""
        return dict(self.code)

    def convert(
        self,
        payload: Any,
        *,
        locale: str = DEFAULT_LOCALE,
        source: str | None = None,
        validate: Validation = False,
        partial: bool = False,
        dialect: Dialect | None = None,
        companions: bool = False,
    ) -> Conversion:
        """Convert one parsed Stores order (REST or Velo) to an eCommerce order dict and its report: the one
        apply step every front door (convert_order, webhooks, batches, check) comes through.

        ``locale`` formats ``formattedAmount``; ``source`` is named in the report; ``validate`` holds the
        result to the eCommerce model and reports each problem as an ``invalid`` entry (``True``: by
        construction, checking only what the rows cannot imply; ``"audit"``: by the full schema pass too); ``partial`` is
        for a webhook's summary (no line items required, no input rules checked); ``dialect`` is ``"rest"``
        or ``"velo"`` when known; ``companions`` also builds the order's companion objects
        (``Conversion.companions``) and reports the Stores fields they carry as carried. An eCommerce order
        passes through unchanged (as a copy: the result shares no object with the payload), so a second
        run is harmless.
        Raises ``ConversionError`` with every problem found, each with its ``$.path``.
        """
        return apply.convert(
            self,
            payload,
            locale=locale,
            source=source,
            validate=validate,
            partial=partial,
            dialect=dialect,
            companions=companions,
        )

    def convert_address(self, address: Any, *, contact: bool = True) -> AddressConversion:
        """One Stores address alone: the eCommerce address, its contactDetails (``contact``) and the buyer email."""
        return apply.convert_address(self, address, contact=contact)


@dataclass(frozen=True, slots=True)
class Section:
    """The compiled rows of one table section (a fulfillment, a refund), applied to one object."""

    steps: tuple[Step, ...]
    reads: Mapping[str, Any]
    walk: Walk
    read_paths: tuple[Path, ...] = ()  # what ``reads`` is the trie of, for a section applied inside another
    applied: tuple[Path, ...] = ()  # the lists whose elements an ``each`` row converts by another section
    write_paths: tuple[Path, ...] = ()  # what its rows write in the object, for a section applied inside another

    def convert(
        self, src: dict[str, Any], *, prefix: str, locale: str, currency: str | None
    ) -> tuple[dict[str, Any], list[Entry]]:
        """One object of the section (a fulfillment, a refund) converted, with its report entries; ``prefix``
        is where it sits in the record, for the paths of entries and errors."""
        return apply.convert_section(self, src, prefix=prefix, locale=locale, currency=currency)
