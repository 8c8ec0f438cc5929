<?php
// A slow page: it sends its first part at once, then the rest after `ms` milliseconds, so the
// answer streams to the client chunked while php-cgi is still working.
$ms = max(0, min(60000, (int)($_GET['ms'] ?? 1000)));
header('Content-Type: text/plain; charset=utf-8');
echo "started at ", date('H:i:s'), " in pid ", getmypid(), "\n";
flush();
usleep($ms * 1000);
echo "finished after $ms ms\n";
