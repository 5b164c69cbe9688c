"""The conversation engine: flows as data, one `transitions` machine per flow.

Nothing in this package knows about Telegram or the terminal. A channel turns what the
practitioner did into an `Event`, calls `Engine.handle`, and shows the `Reply` objects it
gets back.
"""
