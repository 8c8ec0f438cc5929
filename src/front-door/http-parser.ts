/**
 * The front door's HTTP/1.1 framing parser, kept at this path for its importers: the code lives
 * in `./http/` by topic (request head, response head, field scanning, host normalisation).
 */
export * from './http/index.ts';
