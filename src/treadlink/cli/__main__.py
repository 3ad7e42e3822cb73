import sys

from treadlink.cli import main

sys.exit(main())
