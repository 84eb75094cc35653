CREATE TABLE `escalation_episodes` (
	`service` text PRIMARY KEY NOT NULL,
	`dedup_key` text NOT NULL,
	`trigger` text NOT NULL,
	`opened_at` integer NOT NULL,
	`event_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `escalation_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`target` text NOT NULL,
	`dedup_key` text NOT NULL,
	`action` text NOT NULL,
	`message` text NOT NULL,
	`created_at` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`delivered_at` integer,
	`failed_at` integer,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `escalation_outbox_pending` ON `escalation_outbox` (`next_attempt_at`) WHERE "escalation_outbox"."delivered_at" IS NULL AND "escalation_outbox"."failed_at" IS NULL;--> statement-breakpoint
CREATE INDEX `escalation_outbox_key` ON `escalation_outbox` (`target`,`dedup_key`,`id`);