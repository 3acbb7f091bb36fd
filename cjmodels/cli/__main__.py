"""``python -m cjmodels.cli``: the ``cjmodels`` command."""

import sys

from cjmodels.cli import console

sys.exit(console())
