import sys

from zkattest.cli import main

sys.exit(main())
