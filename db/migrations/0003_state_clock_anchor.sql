ALTER TABLE `service_state` ADD `mono_at` integer;--> statement-breakpoint
ALTER TABLE `service_state` ADD `mono_origin` text;