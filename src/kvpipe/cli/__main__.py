import sys

from kvpipe.cli.main import main

sys.exit(main())
