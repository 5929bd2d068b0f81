"""Stored Stores Orders API requests -> the eCommerce requests that replace them (``orders-migrate requests``).

Which Stores request becomes which eCommerce requests is the table's ``requests`` section; the bodies
are built by the table's rows (order, address, fulfillment) and the query translation.

records.py  stored requests as kept: NDJSON, a JSON array, one object, a HAR file's entries
routes.py   the ``requests`` section compiled: match a stored request, fill the eCommerce paths
convert.py  the named operations that build each route's eCommerce bodies, with their report entries
command.py  the command: every stored request translated or rejected with its place; output and report
"""
