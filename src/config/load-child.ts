/** The child-process side of loadConfigIsolated(): loads the file named in argv and prints the result as JSON. */
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { loadConfig } = await import('./load.ts');
process.stdout.write(JSON.stringify(loadConfig(process.argv[2])));
