CREATE TABLE `action_target_groups` (
	`owner_arn` text NOT NULL,
	`listener_arn` text NOT NULL,
	`load_balancer_arn` text NOT NULL,
	`target_group_arn` text NOT NULL,
	PRIMARY KEY(`owner_arn`, `target_group_arn`),
	FOREIGN KEY (`listener_arn`) REFERENCES `listeners`(`arn`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`target_group_arn`) REFERENCES `target_groups`(`arn`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `action_target_groups_tg` ON `action_target_groups` (`target_group_arn`);--> statement-breakpoint
CREATE TABLE `alarm_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`alarm_name` text NOT NULL,
	`timestamp` integer NOT NULL,
	`history_item_type` text NOT NULL,
	`history_summary` text NOT NULL,
	`history_data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alarm_history_alarm_time` ON `alarm_history` (`alarm_name`,`timestamp`);--> statement-breakpoint
CREATE TABLE `alarms` (
	`name` text PRIMARY KEY NOT NULL,
	`arn` text NOT NULL,
	`description` text,
	`actions_enabled` integer NOT NULL,
	`ok_actions` text NOT NULL,
	`alarm_actions` text NOT NULL,
	`insufficient_data_actions` text NOT NULL,
	`namespace` text NOT NULL,
	`metric_name` text NOT NULL,
	`dimensions` text NOT NULL,
	`statistic` text NOT NULL,
	`period` integer NOT NULL,
	`unit` text,
	`evaluation_periods` integer NOT NULL,
	`datapoints_to_alarm` integer NOT NULL,
	`threshold` real NOT NULL,
	`comparison_operator` text NOT NULL,
	`treat_missing_data` text NOT NULL,
	`state_value` text NOT NULL,
	`state_reason` text NOT NULL,
	`state_reason_data` text,
	`state_updated_at` integer NOT NULL,
	`state_transitioned_at` integer NOT NULL,
	`configuration_updated_at` integer NOT NULL,
	`owner_policy_arn` text,
	`last_action_at` integer
);
--> statement-breakpoint
CREATE TABLE `auto_scaling_groups` (
	`name` text PRIMARY KEY NOT NULL,
	`arn` text NOT NULL,
	`launch_template_id` text NOT NULL,
	`launch_template_version` text NOT NULL,
	`min_size` integer NOT NULL,
	`max_size` integer NOT NULL,
	`desired_capacity` integer NOT NULL,
	`health_check_type` text NOT NULL,
	`health_check_grace_period` integer NOT NULL,
	`default_cooldown` integer NOT NULL,
	`default_instance_warmup` integer,
	`termination_policies` text NOT NULL,
	`new_instances_protected` integer NOT NULL,
	`status` text,
	`capacity_cause` text,
	`last_scaling_ended_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`launch_template_id`) REFERENCES `launch_templates`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `auto_scaling_groups_arn_unique` ON `auto_scaling_groups` (`arn`);--> statement-breakpoint
CREATE TABLE `config_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `datapoints` (
	`metric_id` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`sample_count` real NOT NULL,
	`sum` real NOT NULL,
	`minimum` real NOT NULL,
	`maximum` real NOT NULL,
	PRIMARY KEY(`metric_id`, `timestamp`),
	FOREIGN KEY (`metric_id`) REFERENCES `metrics`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `group_target_groups` (
	`group_name` text NOT NULL,
	`target_group_arn` text NOT NULL,
	PRIMARY KEY(`group_name`, `target_group_arn`),
	FOREIGN KEY (`group_name`) REFERENCES `auto_scaling_groups`(`name`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`target_group_arn`) REFERENCES `target_groups`(`arn`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`group_name` text NOT NULL,
	`lifecycle_state` text NOT NULL,
	`health_status` text NOT NULL,
	`launch_template_id` text NOT NULL,
	`launch_template_name` text NOT NULL,
	`launch_template_version` integer NOT NULL,
	`availability_zone` text NOT NULL,
	`protected_from_scale_in` integer NOT NULL,
	`driver` text,
	`driver_ref` text,
	`address` text,
	`port` integer,
	`launched_at` integer NOT NULL,
	`in_service_at` integer,
	`terminating_at` integer
);
--> statement-breakpoint
CREATE INDEX `instances_group` ON `instances` (`group_name`);--> statement-breakpoint
CREATE TABLE `launch_template_versions` (
	`template_id` text NOT NULL,
	`version` integer NOT NULL,
	`description` text,
	`image` text,
	`command` text,
	`environment` text NOT NULL,
	`container_port` integer,
	`cpu` real,
	`memory_mib` integer,
	`network_mode` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`template_id`, `version`),
	FOREIGN KEY (`template_id`) REFERENCES `launch_templates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `launch_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`default_version` integer NOT NULL,
	`latest_version` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `launch_templates_name_unique` ON `launch_templates` (`name`);--> statement-breakpoint
CREATE TABLE `listeners` (
	`arn` text PRIMARY KEY NOT NULL,
	`load_balancer_arn` text NOT NULL,
	`protocol` text NOT NULL,
	`port` integer NOT NULL,
	`ssl_policy` text,
	`certificates` text,
	`default_actions` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`load_balancer_arn`) REFERENCES `load_balancers`(`arn`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `listeners_port_unique` ON `listeners` (`port`);--> statement-breakpoint
CREATE INDEX `listeners_load_balancer` ON `listeners` (`load_balancer_arn`);--> statement-breakpoint
CREATE TABLE `load_balancers` (
	`arn` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`dns_name` text NOT NULL,
	`scheme` text NOT NULL,
	`type` text NOT NULL,
	`ip_address_type` text NOT NULL,
	`state` text NOT NULL,
	`attributes` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `load_balancers_name_unique` ON `load_balancers` (`name`);--> statement-breakpoint
CREATE TABLE `metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace` text NOT NULL,
	`metric_name` text NOT NULL,
	`dimensions_key` text NOT NULL,
	`dimensions` text NOT NULL,
	`unit` text,
	`last_timestamp` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `metrics_identity` ON `metrics` (`namespace`,`metric_name`,`dimensions_key`);--> statement-breakpoint
CREATE TABLE `rules` (
	`arn` text PRIMARY KEY NOT NULL,
	`listener_arn` text NOT NULL,
	`priority` integer,
	`conditions` text NOT NULL,
	`actions` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`listener_arn`) REFERENCES `listeners`(`arn`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rules_listener_priority` ON `rules` (`listener_arn`,`priority`);--> statement-breakpoint
CREATE TABLE `scaling_activities` (
	`id` text PRIMARY KEY NOT NULL,
	`group_name` text NOT NULL,
	`description` text NOT NULL,
	`cause` text NOT NULL,
	`details` text NOT NULL,
	`status_code` text NOT NULL,
	`status_message` text,
	`progress` integer NOT NULL,
	`start_time` integer NOT NULL,
	`end_time` integer
);
--> statement-breakpoint
CREATE INDEX `scaling_activities_group_start` ON `scaling_activities` (`group_name`,`start_time`);--> statement-breakpoint
CREATE TABLE `scaling_policies` (
	`arn` text PRIMARY KEY NOT NULL,
	`group_name` text NOT NULL,
	`name` text NOT NULL,
	`policy_type` text NOT NULL,
	`adjustment_type` text,
	`scaling_adjustment` integer,
	`min_adjustment_magnitude` integer,
	`cooldown` integer,
	`metric_aggregation_type` text,
	`step_adjustments` text,
	`estimated_instance_warmup` integer,
	`target_tracking_configuration` text,
	`enabled` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`group_name`) REFERENCES `auto_scaling_groups`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scaling_policies_group_name` ON `scaling_policies` (`group_name`,`name`);--> statement-breakpoint
CREATE TABLE `tags` (
	`resource_arn` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`resource_arn`, `key`)
);
--> statement-breakpoint
CREATE TABLE `target_groups` (
	`arn` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`protocol` text NOT NULL,
	`protocol_version` text NOT NULL,
	`port` integer NOT NULL,
	`target_type` text NOT NULL,
	`vpc_id` text NOT NULL,
	`health_check` text NOT NULL,
	`attributes` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `target_groups_name_unique` ON `target_groups` (`name`);--> statement-breakpoint
CREATE TABLE `targets` (
	`target_group_arn` text NOT NULL,
	`target_id` text NOT NULL,
	`port` integer NOT NULL,
	`availability_zone` text,
	`state` text NOT NULL,
	`reason` text,
	`description` text,
	`registered_at` integer NOT NULL,
	`drain_deadline` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`target_group_arn`, `target_id`, `port`),
	FOREIGN KEY (`target_group_arn`) REFERENCES `target_groups`(`arn`) ON UPDATE no action ON DELETE cascade
);
