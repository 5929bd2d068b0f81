"""Translate a saved Stores Query Orders request into an eCommerce Search Orders request, with a report.

The field knowledge is the mapping table's (see fields.py). Conditions become a small tree
(``Cond``/``AllOf``/``AnyOf``/``Not``/``Const``) so that ``$ne`` and ``$not`` can be pushed down onto the
fields a Stores field became, then rendered back into the Wix query language.

What cannot be said exactly in eCommerce is never changed silently: each such place gets a report
entry (``approximated``, ``dropped`` or ``unknown_value``; ``--strict`` turns any of them into exit 1).

A condition that cannot be translated becomes a ``Const`` that can only widen the search: true where it
sits under an even number of negations, false under an odd number. Under ``$and`` a true conjunct goes
away; under ``$or`` a true branch makes the whole ``$or`` true, so the whole ``$or`` goes away; a negation
swaps the roles. Either way the eCommerce search matches every order the Stores query matched, and more.

translate.py   the front door: load_query, translate_query, query_report_text, QueryTranslation
tree.py        the condition tree, negate (pushed onto the fields) and render
values.py      values as sent: lone surrogates, JSON number range, nesting; a field's value rule
walk.py        the report entries and problems of one translation; folding AND/OR operands
filter.py      $and/$or/$not and each field's operators
shapes.py      one condition by field shape: one value, line item, split by a discriminator, enum
name_parts.py  a full name against first and last name
sort.py        the Stores sort -> the eCommerce sort list (at most 4 fields)
paging.py      paging (limit, offset) -> cursorPaging
"""
