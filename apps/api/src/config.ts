// Settings are shared by every process: see @scaleout/config.
export { readSettings, type Settings } from "@scaleout/config";
