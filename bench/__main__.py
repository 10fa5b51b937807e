"""`python -m bench --install TOOL ...` installs missing system tools (the Makefile runs it);
`python -m bench` prints which tools this machine has."""

import sys

from bench.host import env

sys.exit(env.main(sys.argv[1:]))
