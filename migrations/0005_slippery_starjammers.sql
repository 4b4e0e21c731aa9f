CREATE TABLE `ip_sets` (
	`arn` text PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`description` text,
	`ip_address_version` text NOT NULL,
	`addresses` text NOT NULL,
	`lock_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ip_sets_id_unique` ON `ip_sets` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ip_sets_scope_name` ON `ip_sets` (`scope`,`name`);--> statement-breakpoint
CREATE TABLE `web_acl_associations` (
	`resource_arn` text PRIMARY KEY NOT NULL,
	`web_acl_arn` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`resource_arn`) REFERENCES `load_balancers`(`arn`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`web_acl_arn`) REFERENCES `web_acls`(`arn`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `web_acl_associations_acl` ON `web_acl_associations` (`web_acl_arn`);--> statement-breakpoint
CREATE TABLE `web_acls` (
	`arn` text PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`description` text,
	`default_action` text NOT NULL,
	`rules` text NOT NULL,
	`visibility_config` text NOT NULL,
	`custom_response_bodies` text,
	`capacity` integer NOT NULL,
	`lock_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `web_acls_id_unique` ON `web_acls` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `web_acls_scope_name` ON `web_acls` (`scope`,`name`);--> statement-breakpoint
ALTER TABLE `listeners` ADD `alpn_policy` text;--> statement-breakpoint
ALTER TABLE `listeners` ADD `attributes` text DEFAULT '{}' NOT NULL;