"""The Python behind the names that flows use (`when:`, `run:`, `options: from:`, `views:`).

Importing this package registers everything in `bot.engine.registry.registry`.
"""

from bot.actions import cases, help, language, privacy  # noqa: F401
