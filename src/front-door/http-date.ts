/**
 * The Date field value (RFC 9110 §5.6.7, IMF-fixdate), made at most once a second: the front door
 * writes it on every response it makes from a CGI head, and a string per request would be waste.
 */
let cachedSecond = -1;
let cached = '';

/** The current time as an HTTP date, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cached = new Date(second * 1000).toUTCString();
  }
  return cached;
}
