CREATE TABLE `instance_attributes` (
	`instance_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`instance_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `instance_attributes_lookup` ON `instance_attributes` (`key`,`value`,`created_at`,`instance_id`);--> statement-breakpoint
ALTER TABLE `instances` ADD `attributes` text DEFAULT '{}' NOT NULL;