CREATE TABLE `maintenance_windows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`services` text NOT NULL,
	`mode` text NOT NULL,
	`from_at` integer NOT NULL,
	`until_at` integer NOT NULL,
	`reason` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	`cancelled_at` integer,
	`cancelled_by` text
);
--> statement-breakpoint
CREATE INDEX `maintenance_windows_until` ON `maintenance_windows` (`until_at`);