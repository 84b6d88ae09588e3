import sys

from fedaudit.cli import main

sys.exit(main())
