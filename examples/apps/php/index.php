<?php
// A phpinfo-like page: what the worker is and what the host told it, without phpinfo()'s
// full dump of the environment (which would show every variable to any visitor).
$server = array_intersect_key($_SERVER, array_flip([
  'GATEWAY_INTERFACE', 'SERVER_SOFTWARE', 'SERVER_PROTOCOL', 'REQUEST_METHOD', 'REQUEST_URI',
  'SCRIPT_NAME', 'SCRIPT_FILENAME', 'PATH_INFO', 'QUERY_STRING', 'DOCUMENT_ROOT', 'REMOTE_ADDR',
  'SERVER_NAME', 'SERVER_PORT', 'HTTPS', 'HTTP_HOST', 'HTTP_USER_AGENT', 'HTTP_X_FORWARDED_FOR',
]));
$facts = [
  'PHP' => PHP_VERSION,
  'SAPI' => PHP_SAPI,
  'pid' => getmypid(),
  'pool' => getenv('PADDOCK_POOL') ?: '-',
  'worker' => getenv('PADDOCK_WORKER') ?: '-',
  'PHP_FCGI_CHILDREN' => getenv('PHP_FCGI_CHILDREN'),
  'PHP_FCGI_MAX_REQUESTS' => getenv('PHP_FCGI_MAX_REQUESTS'),
  'memory_limit' => ini_get('memory_limit'),
  'upload_max_filesize' => ini_get('upload_max_filesize'),
  'OPcache' => function_exists('opcache_get_status') && @opcache_get_status(false) ? 'on' : 'off',
  'extensions' => implode(', ', get_loaded_extensions()),
];
function table(array $rows): string {
  $out = '<table>';
  foreach ($rows as $k => $v) $out .= '<tr><th>' . htmlspecialchars((string)$k) . '</th><td>' . htmlspecialchars((string)$v) . '</td></tr>';
  return $out . '</table>';
}
?>
<!doctype html>
<title>PHP on Paddock</title>
<style>body{font:15px system-ui;margin:2em}th{text-align:left;padding-right:1em;vertical-align:top}td{font-family:monospace}</style>
<h1>PHP on Paddock</h1>
<p>php-cgi pid <?= getmypid() ?>, one worker of pool <b><?= htmlspecialchars(getenv('PADDOCK_POOL') ?: '-') ?></b>.
Try <a href="form.php">a form</a>, <a href="upload.php">an upload</a>, <a href="slow.php?ms=2000">a slow page</a>,
or <a href="index.php/some/path/info?x=1">PATH_INFO</a>.</p>
<h2>This worker</h2>
<?= table($facts) ?>
<h2>CGI variables of this request</h2>
<?= table($server) ?>
