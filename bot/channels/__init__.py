"""Channels: the ways a practitioner reaches the engine (Telegram, the terminal).

A channel only translates: what the practitioner did becomes an `Event`, the engine's
`Reply` objects become messages. Conversation logic stays in `bot.engine`, so every channel
behaves the same on the same database.
"""
