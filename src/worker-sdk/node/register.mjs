// Entry point the host injects into every `runtime: node` worker with
// `NODE_OPTIONS=--import <abs path>/register.mjs`, so an unmodified app gets ready detection,
// ping, drain and the event-loop watch (DESIGN §4). The listen redirect (listen-hook.mjs) goes into
// every Node process of the worker, so that an app started through `npm start` or a wrapper still
// serves the host's socket; the agent only where the control channel is (a child of the worker
// inherits NODE_OPTIONS but not fd 3).
import { installWorkerAgent } from './agent.mjs';
import { hookListen } from './listen-hook.mjs';
import { startRequestTrace } from './request-trace.mjs';

if (process.env.PORT) hookListen(process.env.PORT, null, process.env.PADDOCK_SOCKET ?? '');
installWorkerAgent();
// The host asks for it when the pool watches for blocked requests (failure.blockedRequestLimit).
if (process.env.PADDOCK_REQUEST_TRACE === '1') startRequestTrace();
