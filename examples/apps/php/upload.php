<?php
// A file upload (multipart/form-data): the host streams the body to php-cgi as it arrives,
// PHP spools it to a temporary file. The limits are the pool's -d upload_max_filesize and post_max_size.
$result = null;
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
  $f = $_FILES['file'] ?? null;
  if ($f === null) {
    $result = 'No file arrived (is it larger than post_max_size, ' . ini_get('post_max_size') . '?).';
  } elseif ($f['error'] !== UPLOAD_ERR_OK) {
    $result = 'Upload error ' . $f['error'] . ' (upload_max_filesize is ' . ini_get('upload_max_filesize') . ').';
  } else {
    $result = sprintf('%s: %d bytes, sha256 %s', $f['name'], $f['size'], hash_file('sha256', $f['tmp_name']));
  }
}
?>
<!doctype html>
<title>An upload</title>
<style>body{font:15px system-ui;margin:2em}</style>
<h1>A file upload</h1>
<?php if ($result !== null): ?><p><?= htmlspecialchars($result) ?></p><?php endif ?>
<form method="post" enctype="multipart/form-data">
  <input type="file" name="file"> <button>Upload</button>
</form>
<p>Or: <code>curl -F file=@big.bin http://127.0.0.1:8080/upload.php -H 'Host: php.localhost'</code></p>
<p><a href="index.php">back</a></p>
