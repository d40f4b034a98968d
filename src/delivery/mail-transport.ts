import type { Transporter } from 'nodemailer';
import type { Executor } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';

export interface OutgoingMail {
  /** Stable per logical message (`<…@host>`): a retry carries the same one. */
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** A delivery that did not happen. Permanent ones (a rejected recipient) are not retried. */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean) {
    super(message);
    this.permanent = permanent;
  }
}

export interface MailTransport {
  readonly name: 'smtp' | 'capture';
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

export interface SmtpOptions {
  url: string;
  /** Refuse to send unless the server upgrades to TLS (STARTTLS). */
  requireTls: boolean;
  /** Verify the server's certificate; turn off only for a test server. */
  rejectUnauthorized: boolean;
  timeoutMs: number;
}

/**
 * SMTP through nodemailer's pooled transport. `smtps://` is implicit TLS, `smtp://` upgrades when
 * offered. nodemailer is loaded on first use, so a process that never sends does not carry it.
 */
export function smtpTransport(options: SmtpOptions): MailTransport {
  let transporter: Promise<Transporter> | undefined;
  const connect = () => {
    transporter ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        url: options.url,
        pool: true,
        maxConnections: 10,
        requireTLS: options.requireTls,
        tls: { rejectUnauthorized: options.rejectUnauthorized },
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
      }),
    );
    return transporter;
  };
  return {
    name: 'smtp',
    async send(mail) {
      const smtp = await connect();
      try {
        await smtp.sendMail({
          messageId: mail.messageId,
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: mail.headers,
          // Never let nodemailer read files or URLs on our behalf, whatever a message contains.
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    async close() {
      // Close only a transporter that was ever opened.
      if (transporter !== undefined) (await transporter).close();
    },
  };
}

/**
 * 5xx answers about the recipient or the message are permanent; authentication failures,
 * 4xx answers and network trouble are worth retrying (a fixed configuration or a recovered
 * server then delivers).
 */
export function classifySmtpError(error: unknown): DeliveryError {
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const reason = (e.response ?? e.message ?? String(error)).slice(0, 500);
  const permanent =
    typeof e.responseCode === 'number' &&
    e.responseCode >= 500 &&
    e.responseCode !== 535 &&
    (e.code === 'EENVELOPE' || e.code === 'EMESSAGE');
  return new DeliveryError(reason, permanent);
}

/**
 * Keeps messages in the database instead of sending them, for development and demos: they show
 * in the dev mailbox page and in the log. Idempotent on the Message-ID, like a real inbox that
 * deduplicates.
 */
export function captureTransport(
  db: Executor,
  clock: Clock,
  log: (entry: { to: string; subject: string; id: string }) => void,
): MailTransport {
  return {
    name: 'capture',
    async send(mail) {
      const now = clock.now();
      const id = newId('eml', now);
      const result = await db
        .insertInto('captured_emails')
        .values({
          id,
          message_id: mail.messageId,
          to_address: mail.to,
          subject: mail.subject,
          text_body: mail.text,
          html_body: mail.html,
          created_at: now,
        })
        .onConflict((oc) => oc.column('message_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (result) log({ to: mail.to, subject: mail.subject, id });
    },
    async close() {},
  };
}
