"""``python -m orders_migrate.models``: record the validators' schemas again (after a model changed)."""

from .recorded import RECORD, record

RECORD.write_bytes(record())
print(f"wrote {RECORD}")
