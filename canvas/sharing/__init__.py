"""Share links: links and their settings, what guests see, guest authentication, guest pages.

One module per concern: ``links`` (create, change, revoke), ``guests`` (what a live link
shows), ``auth`` (token, password, guest identity, comment limits), ``views`` (the guest
pages and files), ``groups`` (which sockets hear about a link), ``audit`` (the link's log).
``api`` holds the share-link and guest endpoints, ``consumer`` the guest socket
(``/ws/share/<token>/``). May import canvas.review (guests see decisions and comments).
Documented in docs/review.md.
"""
