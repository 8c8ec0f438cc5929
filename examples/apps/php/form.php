<?php
// A form POST: the body arrives as FCGI_STDIN and PHP parses it into $_POST.
$name = $_POST['name'] ?? null;
$colour = $_POST['colour'] ?? null;
?>
<!doctype html>
<title>A form</title>
<style>body{font:15px system-ui;margin:2em}</style>
<h1>A form POST</h1>
<?php if ($_SERVER['REQUEST_METHOD'] === 'POST'): ?>
  <p>Hello <b><?= htmlspecialchars((string)$name) ?></b>, you like <b><?= htmlspecialchars((string)$colour) ?></b>
  (<?= (int)($_SERVER['CONTENT_LENGTH'] ?? 0) ?> bytes of <?= htmlspecialchars($_SERVER['CONTENT_TYPE'] ?? '') ?>, pid <?= getmypid() ?>).</p>
<?php endif ?>
<form method="post">
  <label>Name <input name="name" value="<?= htmlspecialchars((string)$name) ?>"></label>
  <label>Colour <select name="colour"><option>green</option><option>blue</option><option>red</option></select></label>
  <button>Send</button>
</form>
<p><a href="index.php">back</a></p>
