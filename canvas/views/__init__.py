"""HTML pages that belong to no room: the provider settings page and the error pages.

Views parse the request, ask canvas.permissions, call one domain function and render. They
must not hold domain rules of their own, and must never answer a user's mistake with a
500: an AppError becomes a message or an error page. The board list and the board page
live in canvas.boards, review pages in canvas.review, guest pages in canvas.sharing.
"""
