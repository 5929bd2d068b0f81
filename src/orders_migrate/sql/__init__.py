"""SQL tables as a source and a sink of ``convert`` (the ``sql`` extra: SQLAlchemy Core; psycopg for
PostgreSQL). ``source`` reads a JSON column in keyset-paginated chunks, ``sink`` writes one row per order
(and the rejects) one transaction per chunk, ``run`` converts between them with the file batch's own
converter, so an order written to a table is byte for byte the line ``convert -o out.ndjson`` writes.

The committed target rows are the checkpoint: each row carries its source row's ``position`` (its number
in the source's key order), so ``--resume`` continues after the last committed one whatever the target
database's collation, and a run killed with ``kill -9`` loses or repeats nothing.
"""
