/** Every `paddock` command, in the order `paddock --help` lists them. Adding one is adding a line. */
import type { RegisterCommand } from '../kit/command-kit.ts';
import { register as run } from './run.ts';
import { register as check } from './check.ts';
import { register as status } from './status.ts';
import { register as pools } from './pools.ts';
import { register as poolActions } from './pool-actions.ts';
import { register as workers } from './workers.ts';
import { register as events } from './events.ts';
import { register as logs } from './logs.ts';
import { register as reload } from './reload.ts';
import { register as crashes } from './crashes.ts';
import { register as crash } from './crash.ts';
import { register as debug } from './debug.ts';
import { register as shutdown } from './shutdown.ts';
import { register as service } from './service.ts';
import { register as drain } from './drain.ts';
import { register as lb } from './lb.ts';
import { register as top } from './top.ts';

export const COMMANDS: readonly RegisterCommand[] = [run, check, status, pools, poolActions, workers, events, logs, crashes, crash, debug, top, reload, shutdown, service, drain, lb];
