// Entry point the host injects into every `runtime: node` worker with
// `NODE_OPTIONS=--import <abs path>/register.mjs`, so an unmodified app gets ready detection,
// ping, drain and the event-loop watch (DESIGN §4). In a process without a control channel
// (a child of the worker inherits NODE_OPTIONS but not fd 3) it does nothing.
import { installWorkerAgent } from './agent.mjs';

installWorkerAgent();
