"""Webhooks: a team's endpoints, the events they subscribe to, signed deliveries with retries.

Modules, bottom up: ``signing`` (the signature scheme, no Django), ``addresses`` (which
URLs and addresses an endpoint may reach), ``models``, ``events`` (event types and the
payload builders), ``dispatch`` (``emit`` and the one-line hooks of the job lifecycle and
review decisions), ``delivery`` (one attempt: sign, post, record, back off), ``sender``
(this process's delivery threads and the sweep for due retries), ``tasks``,
``endpoints`` (register, change, roll the secret, resend), and the edges ``api``,
``pages``, ``urls``. docs/webhooks.md is the user's guide.

Nothing here may slow the code that emits an event: ``emit`` writes rows in the caller's
transaction and every HTTP call happens later, on the sender's own threads.
"""
