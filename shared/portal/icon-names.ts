/**
 * Names of the provider icons that `icons.js` can draw (upstream's set). Kept apart from the SVG data in `icons.ts`
 * so the page renderers can decide which placeholders to emit without bundling the path data.
 */
export const ICON_NAMES = [
  'android',
  'apple',
  'atlassian',
  'aws',
  'bluesky',
  'chrome',
  'discord',
  'edge',
  'facebook',
  'firefox',
  'github',
  'google',
  'microsoft',
  'openid',
  'pocketid',
  'raspberry-pi',
  'tailscale',
] as const;

/** One of the bundled icon names. */
export type IconName = (typeof ICON_NAMES)[number];

const NAMES: ReadonlySet<string> = new Set(ICON_NAMES);

/** Whether `name` is a bundled icon; unknown names render no icon (upstream behaviour). */
export function isIconName(name: string): name is IconName {
  return NAMES.has(name);
}
