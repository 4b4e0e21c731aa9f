/**
 * What an error message may quote of a request value. AWS quotes it whole; scaleout cuts it at 256
 * characters so that a hostile megabyte is not copied into every answer and log line.
 */
export function echo(value: string): string {
  return value.length <= 256 ? value : `${value.slice(0, 256)}... (${value.length} characters)`;
}
