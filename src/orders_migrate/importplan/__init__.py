"""Stored Stores orders -> a plan of eCommerce requests that put them into a Wix site.

A plan is NDJSON, one request a line, ``{"ref", "method", "path", "body"}``, in the order to send it:
per order an Import Order request, its payments (see ``payment_requests``) and its fulfillments, whose
path and body hold ``{orderId}`` for the id the import returns; at the end one Set Order Number
Counter request. A record ``convert --companions`` wrote gives the requests its Stores order gives (the
order, its payments from its orderTransactions, its fulfillments from its orderWithFulfillments).
``ref`` names the record the request comes from (file, line, JSON path, Stores order id) and the
request's place in it, so a log of responses ties back to the input.

What Import Order requires, and which fields of the order it does not take, are read from the
published types (``@wix/auto_sdk_ecom_orders@1.0.300``: the ``importOrder`` signature and its
``@requiredField`` tags; ``@wix/auto_sdk_ecom_order-fulfillments@1.0.65`` for Create Fulfillment).

required.py  what Import Order requires of an order, and what to do when the stored order lacks it
requests.py  one stored record -> its Import Order, payment and Create Fulfillment requests; the counter
payments.py  the Add Payments request from the order's Order Transactions; refunds reported (no Add Refund)
writer.py    the command: every input's records planned into the plan, rejects and reports files
"""
