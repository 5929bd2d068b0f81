"""Send an import plan to a Wix site, once: every result goes to an append-only log first.

The log (NDJSON, each entry fsync'd before the next request) is the run's memory: a request whose
result is logged is never sent again, so a second run, or a run after kill -9, sends only what is
left. A request is logged as ``sending`` before it goes out; one with no result after that was in
flight when the run died and may or may not have reached Wix: it is not sent again unless the user
checks and asks (``retry_failed``), because a second import would make a second order. Imports'
results hold the crosswalk (Stores order id -> new order id) that fills the ``{orderId}`` of the
order's later requests and that ``undo`` deletes.

Requests go only to ``base_url`` (http.client to that host, no redirects, no proxies), with the token
as the ``Authorization`` header; the token is never written anywhere.

plan_file.py  the plan as read: each request checked (method, a path on --base-url, sent once) before any goes
log.py        the run's log: what earlier runs did, and the append-only writer
client.py     the site: --base-url, one request by http.client, the rate limit and retries with backoff
run.py        the command: send (or show) what is left, in order, filling {orderId}; undo
"""
