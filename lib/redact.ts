/**
 * The URL with its secrets replaced by `***`, for messages and logs: the password of its user
 * info, and any query parameter whose name ends in `password` or `secret` (`sentinelPassword=`).
 */
export function redact(url: string): string {
  return url
    .replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
    .replace(/([?&][^=&#]*(?:password|secret)=)[^&#]*/gi, '$1***');
}
