const DOT = 0x2e;
const LF_DOT = Buffer.from('\n.', 'latin1');
const END_AFTER_CRLF = Buffer.from('.\r\n', 'latin1');
const END_WITH_CRLF = Buffer.from('\r\n.\r\n', 'latin1');

/**
 * The DATA payload for `raw` in one Buffer: every line starting with '.' gets another '.' (RFC 5321 4.5.2) and the
 * terminating `.` line follows, so body and end go out in a single write. The dots are found with Buffer.indexOf
 * (native) and the copy is one allocation. A dot after a bare LF is stuffed too: receivers (smtp-server among
 * them) unstuff after any LF. The composed message is CRLF throughout; anything else is sent as it is.
 */
export function dataBody(raw: Buffer): Buffer {
  const len = raw.length;
  const end =
    len === 0 || (len >= 2 && raw[len - 2] === 0x0d && raw[len - 1] === 0x0a) ? END_AFTER_CRLF : END_WITH_CRLF;
  let dots = len > 0 && raw[0] === DOT ? 1 : 0;
  for (let i = raw.indexOf(LF_DOT); i !== -1; i = raw.indexOf(LF_DOT, i + 2)) dots++;
  const out = Buffer.allocUnsafe(len + dots + end.length);
  let o = 0;
  let from = 0;
  if (dots > 0) {
    if (raw[0] === DOT) out[o++] = DOT;
    for (let i = raw.indexOf(LF_DOT); i !== -1; i = raw.indexOf(LF_DOT, i + 2)) {
      o += raw.copy(out, o, from, i + 1);
      out[o++] = DOT;
      from = i + 1;
    }
  }
  o += raw.copy(out, o, from);
  end.copy(out, o);
  return out;
}
