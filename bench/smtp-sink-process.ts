// An SMTP sink in its own process for benchmarks: counts accepted messages, writes no files, prints its URL.
import { tmpdir } from 'node:os';
import { startSmtpSink } from '../infra/smtp/sink.js';

const sink = await startSmtpSink({ outbox: tmpdir(), writeFiles: false });
process.stdout.write(`${JSON.stringify({ url: sink.url })}\n`);
process.stdin.on('data', () => process.stdout.write(`${JSON.stringify({ count: sink.received.length })}\n`));
process.stdin.on('end', () => void sink.stop().then(() => process.exit(0)));
