/**
 * Loads the configuration in a short-lived child process. Parsing a large file with the YAML
 * parser and the schema library costs tens of megabytes (about 55 MB for 1,000 pools) that a
 * long-running host would otherwise keep as resident memory for good: V8 does not give its
 * high-water mark back, not even when the parse ran in a worker thread. A child process takes
 * that memory with it when it exits. The result is plain data, sent back as JSON.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConfigResult } from './load.ts';

// Beside this file: load-child.ts in a checkout, load-child.js in the npm package (compiled).
const loader = fileURLToPath(new URL(`./load-child${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url));

/** Like loadConfig(file), in a child process; rejects only when the child itself fails. */
export function loadConfigIsolated(file: string): Promise<ConfigResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [loader, file], { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`the configuration loader failed: ${stderr.trim() || err.message}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as ConfigResult);
      } catch (parseErr) {
        reject(new Error(`the configuration loader answered something that is not JSON: ${(parseErr as Error).message}`));
      }
    });
  });
}
