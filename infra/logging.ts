import { pino, type DestinationStream, type Logger } from 'pino';

// Path segments that carry a signed link token (a credential) or a subject id (personal data).
const SECRET_SEGMENTS = /\/(u|why|preferences|confirm|subjects)\/[^/?#]+/g;

/** A request URL fit for a log: secret path segments and the whole query string (it may hold either) elided. */
export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(SECRET_SEGMENTS, '/$1/…');
  return q < 0 ? path : `${path}?…`;
}

/** Fields that are personal data or credentials wherever they appear in a log object; pino censors them. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
  'email', 'phone', 'to', 'address', 'subjectId', 'token', 'fields', 'corrections',
  '*.email', '*.phone', '*.to', '*.address', '*.subjectId', '*.token', '*.fields', '*.corrections',
];

/** The JSON logger of one process (API or worker): redacted, with request serializers that never log a token or id. */
export function createLogger(opts: { name: string; level?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({ id: req.id, method: req.method, url: scrubUrl(req.url ?? '') }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    opts.destination ?? pino.destination(2),
  );
}

/** A logger that writes nothing, for compositions given none. */
export const silentLogger = (): Logger => pino({ enabled: false });
