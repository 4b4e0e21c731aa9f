CREATE TABLE `certificates` (
	`arn` text PRIMARY KEY NOT NULL,
	`domain_name` text NOT NULL,
	`subject_alternative_names` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`key_algorithm` text NOT NULL,
	`serial` text NOT NULL,
	`subject` text NOT NULL,
	`issuer` text NOT NULL,
	`not_before` integer NOT NULL,
	`not_after` integer NOT NULL,
	`certificate_pem` text NOT NULL,
	`chain_pem` text,
	`private_key_pem` text NOT NULL,
	`request` text,
	`created_at` integer NOT NULL,
	`imported_at` integer,
	`issued_at` integer
);
--> statement-breakpoint
CREATE TABLE `listener_certificates` (
	`listener_arn` text NOT NULL,
	`certificate_arn` text NOT NULL,
	`is_default` integer NOT NULL,
	PRIMARY KEY(`listener_arn`, `certificate_arn`),
	FOREIGN KEY (`listener_arn`) REFERENCES `listeners`(`arn`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`certificate_arn`) REFERENCES `certificates`(`arn`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `listener_certificates_certificate` ON `listener_certificates` (`certificate_arn`);