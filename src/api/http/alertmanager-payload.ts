/**
 * Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/
 * configuration/#webhook_config), validated with zod. Unknown fields are allowed (Alertmanager
 * adds some between releases); every field medic reads is checked, and anything else is a 400
 * naming the problems.
 */
import { z } from 'zod';

const labels = z.record(z.string(), z.string());

export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().regex(/^[0-9a-f]{1,64}$/, 'a fingerprint is hex'),
});

export const webhookSchema = z.object({
  version: z.literal('4', { error: 'version must be "4" (Alertmanager webhook payload)' }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertSchema).max(1000),
});

export type WebhookAlert = z.output<typeof alertSchema>;
export type WebhookPayload = z.output<typeof webhookSchema>;

/** Every problem of an invalid payload, one line each (`alerts.0.fingerprint: …`). */
export function payloadProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
}
