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
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'email',
  'phone',
  'to',
  'address',
  'subjectId',
  'token',
  'fields',
  'corrections',
  '*.email',
  '*.phone',
  '*.to',
  '*.address',
  '*.subjectId',
  '*.token',
  '*.fields',
  '*.corrections',
];

// Addresses and numbers that reach a log inside free text (an SMTP reply quoting the recipient, an error message)
// rather than under a redacted key.
const EMAIL = /[^\s@"'<>(),;:[\]]+@[^\s@"'<>(),;:[\]]+\.[A-Za-z]{2,}/g;
const PHONE = /\+\d[\d ()-]{6,}\d/g;

/** Free text fit for a log: email addresses and international phone numbers replaced by placeholders. */
export const scrubText = (s: string): string => s.replace(EMAIL, '[email]').replace(PHONE, '[phone]');

function scrubDeep(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return scrubText(v);
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error)
    return {
      type: v.name,
      message: scrubText(v.message),
      ...(v.stack ? { stack: scrubText(v.stack) } : {}),
      ...(v.cause ? { cause: scrubDeep(v.cause, depth + 1) } : {}),
    };
  if (Array.isArray(v)) return v.map((x) => scrubDeep(x, depth + 1));
  // Class instances (a request, a reply) are left to their serializers, which already keep only safe fields.
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubDeep(x, depth + 1)]));
}

/**
 * The JSON logger of one process (API or worker): personal-data keys redacted, addresses and numbers in free text
 * scrubbed, and request serializers that never log a token or id.
 */
export function createLogger(opts: { name: string; level?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { log: (o) => scrubDeep(o, 0) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as Parameters<typeof method>);
        },
      },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          url: scrubUrl(req.url ?? ''),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    opts.destination ?? pino.destination(2),
  );
}

/** A logger that writes nothing, for compositions given none. */
export const silentLogger = (): Logger => pino({ enabled: false });

/** The worker's logger and the matching SDK runtime level: runtime, workflow and activity logs all go through it. */
export function workerLogging(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' = 'warn'): {
  logger: Logger;
  runtimeLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
} {
  return {
    logger: createLogger({ name: 'consentflow-worker', level }),
    runtimeLevel: level.toUpperCase() as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR',
  };
}
