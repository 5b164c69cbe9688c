"""The flow interpreter: flows as data, one `transitions` machine per flow.

Nothing in this package knows about a messenger, a database session or who may use the
bot. `bot.turns` opens the transaction and calls `Interpreter.apply` with the rows it
needs; the interpreter answers with the `Reply` objects to show.
"""
