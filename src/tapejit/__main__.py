"""`python -m tapejit` trains a digits classifier with a jitted step; `python -m tapejit demo`
walks through one gradient tape (see tapejit/examples/)."""

import sys

from tapejit.examples.cli import main

if __name__ == "__main__":
    sys.exit(main())
