<?php
// The bench's small PHP page: the same bytes through Paddock and through nginx + PHP-FPM.
echo "hello from php pid ", getmypid(), "\n";
