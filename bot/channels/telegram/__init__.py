"""The Telegram channel: python-telegram-bot v22 updates in, engine replies out."""
