// Quoted-printable body encoding with the exact output of nodemailer's encoder and soft-line wrapper (a property
// test holds them to it), at a fraction of the CPU: nodemailer's encoder grows its result one character at a time
// and its wrapper runs several regular expressions per line, which together were the largest single cost of
// composing a campaign message. Here the encoder is one native regex pass and the wrapper looks at characters.

const HEX = '0123456789ABCDEF';
const ESCAPES = Array.from({ length: 256 }, (_, c) => `=${HEX[c >> 4]}${HEX[c & 15]}`);
// A byte that must be escaped: anything but tab, LF, CR and printable ASCII other than "=", and a space or tab
// before a line break or at the end. Matched over the bytes read as latin1 (one character per byte).
const MUST_ESCAPE = /[^\t\n\r\x20-\x3c\x3e-\x7e]|[ \t](?=[\r\n]|$)/g;

/**
 * Encodes bytes as quoted-printable (RFC 2045 section 6.7): printable ASCII but "=" and tab, CR and LF stay as they
 * are, except a space or tab before a line break or at the end; every other byte becomes "=XX".
 */
export function qpEncode(buf: Buffer): string {
  return buf.toString('latin1').replace(MUST_ESCAPE, (ch: string) => ESCAPES[ch.charCodeAt(0)]!);
}

const isHex = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i) | 0x20;
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
};
// Characters JavaScript's "." does not match; nodemailer's /\n.*?$/ cannot run across them.
const isLineTerminator = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
const isBreakable = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x2e || c === 0x2c || c === 0x21 || c === 0x3f;

/** The line ends with "=" followed by up to two hex digits: an escape, maybe cut short. */
function endsWithEscape(line: string): boolean {
  for (let k = 1; k <= 3 && k <= line.length; k++) {
    if (line.charCodeAt(line.length - k) !== 0x3d) continue;
    let ok = true;
    for (let j = line.length - k + 1; j < line.length; j++) if (!isHex(line, j)) ok = false;
    if (ok) return true;
  }
  return false;
}

/** The line is one to four "=XX" escapes and nothing else. */
function onlyEscapes(line: string): boolean {
  if (line.length % 3 !== 0 || line.length < 3 || line.length > 12) return false;
  for (let i = 0; i < line.length; i += 3)
    if (line.charCodeAt(i) !== 0x3d || !isHex(line, i + 1) || !isHex(line, i + 2)) return false;
  return true;
}

/** Where nodemailer's wrapper would cut a line whose tail ends in a line break: past that break, or -1. */
function lastBreakInTail(line: string, margin: number): number {
  const from = Math.max(0, line.length - margin);
  for (let i = line.length - 1; i >= from; i--) {
    const c = line.charCodeAt(i);
    if (c === 0x0a) return i;
    if (isLineTerminator(c)) return -1;
  }
  return -1;
}

function lastBreakableInTail(line: string, margin: number): number {
  const from = Math.max(0, line.length - margin);
  for (let i = line.length - 1; i >= from; i--) if (isBreakable(line.charCodeAt(i))) return i;
  return -1;
}

/** The line ends with a whole "=XX" escape. */
const endsWithFullEscape = (line: string): boolean =>
  line.length >= 3 &&
  line.charCodeAt(line.length - 3) === 0x3d &&
  isHex(line, line.length - 2) &&
  isHex(line, line.length - 1);

/** Adds soft line breaks ("=" CRLF) so no line of quoted-printable text is longer than `lineLength`. */
export function qpWrap(str: string, lineLength = 76): string {
  if (str.length <= lineLength) return str;
  const len = str.length;
  const margin = Math.floor(lineLength / 3);
  let pos = 0;
  let result = '';
  while (pos < len) {
    let line = str.slice(pos, pos + lineLength);
    const crlf = line.indexOf('\r\n');
    if (crlf >= 0) {
      line = line.slice(0, crlf + 2);
      result += line;
      pos += line.length;
      continue;
    }
    if (line.endsWith('\n')) {
      result += line;
      pos += line.length;
      continue;
    }
    const lf = lastBreakInTail(line, margin);
    if (lf >= 0) {
      line = line.slice(0, lf + 1);
      result += line;
      pos += line.length;
      continue;
    }
    const sp = line.length > lineLength - margin ? lastBreakableInTail(line, margin) : -1;
    if (sp >= 0) line = line.slice(0, sp + 1);
    else if (endsWithEscape(line)) {
      // An incomplete escape moves to the next line, and so do the escapes of a UTF-8 sequence cut short.
      if (line.endsWith('=')) line = line.slice(0, -1);
      else if (line.length >= 2 && line.charCodeAt(line.length - 2) === 0x3d && isHex(line, line.length - 1))
        line = line.slice(0, -2);
      while (line.length > 3 && line.length < len - pos && !onlyEscapes(line) && endsWithFullEscape(line)) {
        const code = parseInt(line.slice(-2), 16);
        if (code < 128) break;
        line = line.slice(0, -3);
        if (code >= 0xc0) break;
      }
    }
    if (pos + line.length < len && !line.endsWith('\n')) {
      if (line.length === lineLength && endsWithFullEscape(line)) line = line.slice(0, -3);
      else if (line.length === lineLength) line = line.slice(0, -1);
      pos += line.length;
      line += '=\r\n';
    } else pos += line.length;
    result += line;
  }
  return result;
}
