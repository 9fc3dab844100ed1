// Email over SMTP with nodemailer: a plain-text body and the summary as subject.
import nodemailer, { type Transporter } from 'nodemailer';
import type { EmailChannelConfig } from '../../config/types.js';
import { plainText, summary } from './payloads.js';
import { DeliveryError, type AlarmNotice, type ChannelKind, type Notifier } from './types.js';

const SMTP_TIMEOUT_MS = 10_000;

/** One SMTP connection for one message (alarm notices and reports alike). */
export function smtpTransport(s: EmailChannelConfig['smtp']): Transporter {
  return nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    auth: s.user !== null && s.pass !== null ? { user: s.user, pass: s.pass } : undefined,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
}

export class EmailNotifier implements Notifier {
  constructor(readonly channel: EmailChannelConfig) {}

  async send(n: AlarmNotice, signal?: AbortSignal): Promise<void> {
    const s = this.channel.smtp;
    const transport = smtpTransport(s);
    const abort = (): void => transport.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await transport.sendMail({
        from: this.channel.from,
        to: this.channel.to.join(', '),
        subject: summary(n).slice(0, 200),
        text: plainText(n),
        headers: { 'X-DRC-Alarm': String(n.alarm.id), 'X-DRC-Level': n.alarm.level },
      });
    } catch (e) {
      throw new DeliveryError(`SMTP ${s.host}:${s.port}: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      signal?.removeEventListener('abort', abort);
      transport.close();
    }
  }
}

export const emailChannel: ChannelKind<EmailChannelConfig> = { create: (channel) => new EmailNotifier(channel) };
