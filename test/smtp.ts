import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  messageId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: ParsedMail['headers'];
}

/**
 * A real SMTP server on loopback, in the test process. Recipients whose local part starts
 * with `bounce` are refused with 550, as a receiving server refuses an unknown mailbox.
 */
export async function startSmtpServer(
  options: {
    delayMs?: number;
    /**
     * Recipients starting with this take the message, then answer 451 to it once: as a timeout
     * after the data went through, the mail arrives and the sender still retries.
     */
    keepThenDeferOnce?: string;
  } = {},
): Promise<{
  url: string;
  received: ReceivedMail[];
  /** While on, every connection is refused with 421, as a server that is down for maintenance. */
  setRefusing: (on: boolean) => void;
  close: () => Promise<void>;
}> {
  const received: ReceivedMail[] = [];
  const deferred = new Set<string>();
  let refusing = false;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      if (!refusing) return callback();
      const error = new Error('4.3.2 Service not available, try again later') as Error & {
        responseCode: number;
      };
      error.responseCode = 421;
      callback(error);
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce')) {
        const error = new Error('5.1.1 mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
          const to = (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.text ?? '';
          received.push({
            messageId: mail.messageId ?? '',
            to,
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            headers: mail.headers,
          });
          if (options.keepThenDeferOnce && to.startsWith(options.keepThenDeferOnce) && !deferred.has(to)) {
            deferred.add(to);
            const error = new Error('4.4.2 Timeout after data') as Error & { responseCode: number };
            error.responseCode = 451;
            return callback(error);
          }
          callback();
        })
        .catch(callback);
    },
  });
  // A client closing its pooled connection abruptly is not a test failure.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    setRefusing: (on) => {
      refusing = on;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The invitation link in an email's text. */
export function linkIn(mail: ReceivedMail): string {
  const match = /https?:\/\/\S+\/invite\?token=rsvp_it_\w+/.exec(mail.text);
  if (!match) throw new Error(`no invitation link in: ${mail.text}`);
  return match[0];
}
