/**
 * The few responses the front door writes itself: errors and refusals. Small, complete, and with
 * a Content-Length, so a keep-alive client can send its next request.
 */
const reasons: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  411: 'Length Required',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/**
 * A whole HTTP/1.1 response with a text body. The answer to a HEAD request carries the same head
 * and no body (RFC 9110 §9.3.2): a body there would be read as the start of the next response.
 */
export function cannedResponse(status: number, message: string, headers: Readonly<Record<string, string>> = {}, method = 'GET'): string {
  const body = `${status} ${reasons[status] ?? 'Error'}\n${message}\n`;
  let head = `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Powered-By: paddock\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return head + '\r\n' + (method === 'HEAD' ? '' : body);
}
