// Store URLs in messages without their passwords (a bad --store URL, a driver error, a run's topology).
// Its own small file so that the CLI's error printer can use it without loading a store.

/**
 * A store URL with its password replaced by `***`, for messages. Works on unparseable URLs too (the ones
 * an error message is about): the user information is what lies between "://" and the last "@" before
 * the path, and its password what follows its first ":".
 */
export function redactStoreUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^/]*@/i, (_, user: string) => `${user}:***@`);
}

/** Every `scheme://user:password@` in a message, password redacted (driver errors may echo the URL). */
export function redactStoreUrls(message: string): string {
  return message.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*):[^/\s]*@/gi, (_, user: string) => `${user}:***@`);
}
