"""`python -m bot` is `homework-bot`."""

import sys

from bot.cli import main

sys.exit(main())
