CREATE TABLE `bot_cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`event_id` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `slack_incidents` (
	`key` text PRIMARY KEY NOT NULL,
	`slot` text NOT NULL,
	`service` text,
	`channel` text NOT NULL,
	`ts` text,
	`opened_at` integer NOT NULL,
	`closed_at` integer,
	`last_event_id` integer NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `slack_incidents_open` ON `slack_incidents` (`slot`) WHERE "slack_incidents"."closed_at" IS NULL;