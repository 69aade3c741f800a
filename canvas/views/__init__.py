"""HTML pages: sign-in, the board list and its actions, the board page, error pages.

Views here parse the request, ask canvas.permissions, call one function of
canvas.services and render. They must not hold domain rules of their own, and must never
answer a user's mistake with a 500: an AppError becomes a message or an error page.
"""
