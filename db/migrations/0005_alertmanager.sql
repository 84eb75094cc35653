CREATE TABLE `alert_deliveries` (
	`key` text PRIMARY KEY NOT NULL,
	`fingerprint` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_deliveries_received` ON `alert_deliveries` (`received_at`);--> statement-breakpoint
CREATE TABLE `alerts_firing` (
	`fingerprint` text NOT NULL,
	`service` text NOT NULL,
	`action` text NOT NULL,
	`since` integer NOT NULL,
	PRIMARY KEY(`fingerprint`, `service`)
);
