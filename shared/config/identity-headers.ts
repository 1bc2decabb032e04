/**
 * The identity headers a portal without a `headers` key sends (upstream's names and order): read by the core that
 * emits them and by the CDK outputs and proxy recipes that list them for Traefik's `authResponseHeaders`.
 */
export const DEFAULT_IDENTITY_HEADERS = {
  /** The user id (`id` claim). */
  user: 'X-Forwarded-User',
  /** A JSON summary `{provider, portal, user}`; not expressible in config. */
  summary: 'X-Authenticated-User',
  /** The display name (`name` claim). */
  displayName: 'X-Forwarded-Displayname',
} as const;

/** The default header names, in the order they are sent. */
export const DEFAULT_IDENTITY_HEADER_NAMES: readonly string[] = Object.values(DEFAULT_IDENTITY_HEADERS);
