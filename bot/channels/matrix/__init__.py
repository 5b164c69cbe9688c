"""Netwerkcoach on Matrix: the organisation's own, end-to-end encrypted messenger.

`client` logs in and keeps the keys, `sync` takes events (one process per account, the
position moved only after use), `channel` reads them as the engine's events and answers,
`render` and `events` translate between Matrix messages and the engine, `app` starts it.
"""
