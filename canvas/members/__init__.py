"""Members: who is on a board or a team, invitation links, and open sign-up.

- ``models``: ``Invitation`` (a single-use, expiring link that makes someone a member) and
  ``SignupPolicy`` (the site-wide open sign-up switch). Team, TeamMembership and
  BoardMember still live in canvas.models (teams.py, boards.py).
- ``services``: add, change and remove board and team members under the last-owner rule;
  create teams; the personal team of a user without one.
- ``invitations``: create, list, revoke and accept invitation links.
- ``signup``: the open sign-up switch and account creation (throttled per client address).
- ``api``: the JSON endpoints; ``views``/``forms``/``urls``: the HTML pages.

Who may do what is decided in canvas.permissions, never here. docs/members.md explains the
rules and the choices behind them.
"""
