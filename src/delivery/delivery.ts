import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import type { Clock } from '../lib/clock.ts';
import { WebhookHandler } from '../webhooks/webhook.handler.ts';
import { EmailHandler } from './email.handler.ts';
import { captureTransport, type MailTransport, smtpTransport } from './mail-transport.ts';
import { OutboxWorker, type OutboxWorkerOptions, type WorkerLogger } from './outbox.worker.ts';
import { Sweeper, type SweepTask } from './sweeper.ts';

export interface Delivery {
  transport: MailTransport;
  worker: OutboxWorker;
  sweeper: Sweeper;
  /** Wakes the worker: call after committing outbox rows. */
  nudge(): void;
  start(): void;
  stop(): Promise<void>;
}

/**
 * The outbox worker, its email and webhook handlers and the sweeper, as configured: SMTP when
 * `SMTP_URL` is set, the capture mailbox otherwise.
 */
export function createDelivery(options: {
  database: Database;
  clock: Clock;
  keys: InstanceKeys;
  logger: WorkerLogger;
  config: Pick<
    Config,
    | 'smtp'
    | 'mailFrom'
    | 'publicUrl'
    | 'allowPrivateWebhooks'
    | 'outboxPollMs'
    | 'outboxLeaseMs'
    | 'sweepIntervalMs'
  >;
  onSettled?: OutboxWorkerOptions['onSettled'];
  /** Periodic work of other parts, run with each sweep. */
  sweepTasks?: readonly SweepTask[];
}): Delivery {
  const { database, clock, keys, logger, config } = options;
  const transport = config.smtp
    ? smtpTransport(config.smtp)
    : captureTransport(database.db, clock, (mail) =>
        logger.info(
          { to: mail.to, subject: mail.subject, mailbox: `${config.publicUrl}/dev/mailbox/${mail.id}` },
          'email captured (no SMTP_URL set)',
        ),
      );
  const worker = new OutboxWorker({
    database,
    clock,
    logger,
    pollMs: config.outboxPollMs,
    leaseMs: config.outboxLeaseMs,
    onSettled: options.onSettled,
    handlers: {
      email: new EmailHandler({
        db: database.db,
        clock,
        keys,
        transport,
        from: config.mailFrom,
        publicUrl: config.publicUrl,
        logger,
      }),
      webhook: new WebhookHandler({
        db: database.db,
        clock,
        keys,
        allowPrivateDestinations: config.allowPrivateWebhooks,
      }),
    },
  });
  const nudge = () => worker.nudge();
  const sweeper = new Sweeper({
    database,
    clock,
    logger,
    intervalMs: config.sweepIntervalMs,
    onQueued: nudge,
    tasks: options.sweepTasks,
  });
  return {
    transport,
    worker,
    sweeper,
    nudge,
    start() {
      worker.start();
      sweeper.start();
    },
    async stop() {
      await sweeper.stop();
      await worker.stop();
      await transport.close();
    },
  };
}
