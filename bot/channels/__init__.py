"""Channels: the ways a practitioner reaches the bot (Telegram, the terminal).

A channel only translates: what the practitioner did becomes an `Event` for
`bot.turns.Turns.handle`, and the `Reply` objects it returns become messages. Conversation
logic stays in `bot.engine`, so every channel behaves the same on the same database.
"""
