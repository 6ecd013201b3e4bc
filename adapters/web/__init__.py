"""The web pages: the archive, coffee tables, people and the management
overview, served by the bot itself (``[web]`` in the config)."""
