"""Review: decisions on candidates, the review list, promotion, comments, the inbox.

One module per concern: ``payloads`` (what messages carry, the after-commit broadcast to
members and guests), ``decisions``, ``candidates`` (the review list), ``promotion``,
``comments``, ``inbox`` (unread counts, candidates awaiting someone), ``pages`` (the review
and inbox pages), ``api`` (the review endpoints). The board socket takes no review
messages from clients (review goes through the API); it relays the review broadcasts that
``payloads`` sends.
May import: models, permissions, realtime, protocol, jobs, boards, members.services, and from
canvas.sharing only ``groups`` and ``audit`` (import contract in pyproject.toml).
Documented in docs/review.md.
"""
