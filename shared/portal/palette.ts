/**
 * The provider button colours. Upstream lets `color` name any of the 22 Tailwind palettes (not validated) and renders
 * a gradient from the palette's 600 shade to its 500 shade; these are Tailwind's hex values for those two shades.
 */
export const PALETTES: Readonly<Record<string, readonly [shade600: string, shade500: string]>> = {
  red: ['#dc2626', '#ef4444'],
  orange: ['#ea580c', '#f97316'],
  amber: ['#d97706', '#f59e0b'],
  yellow: ['#ca8a04', '#eab308'],
  lime: ['#65a30d', '#84cc16'],
  green: ['#16a34a', '#22c55e'],
  emerald: ['#059669', '#10b981'],
  teal: ['#0d9488', '#14b8a6'],
  cyan: ['#0891b2', '#06b6d4'],
  sky: ['#0284c7', '#0ea5e9'],
  blue: ['#2563eb', '#3b82f6'],
  indigo: ['#4f46e5', '#6366f1'],
  violet: ['#7c3aed', '#8b5cf6'],
  purple: ['#9333ea', '#a855f7'],
  fuchsia: ['#c026d3', '#d946ef'],
  pink: ['#db2777', '#ec4899'],
  rose: ['#e11d48', '#f43f5e'],
  slate: ['#475569', '#64748b'],
  gray: ['#4b5563', '#6b7280'],
  zinc: ['#52525b', '#71717a'],
  neutral: ['#525252', '#737373'],
  stone: ['#57534e', '#78716c'],
};

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

const DARK_TEXT = '#111827';

/**
 * Text colour for a filled (hovered/focused) button of this palette. Upstream always uses white, which is unreadable
 * on yellow, lime, green or cyan; we keep white while it reaches 3:1 against the lighter end of the gradient (the
 * WCAG threshold for UI components, and the conventional look on red, blue, purple…) and switch to near-black below.
 */
export function textOn(palette: readonly [string, string]): string {
  const whiteContrast = 1.05 / (luminance(palette[1]) + 0.05);
  return whiteContrast >= 3 ? '#fff' : DARK_TEXT;
}

/** Palette used when the configured colour is not one of the 22 names. */
export const FALLBACK_PALETTE = 'neutral';

/** CSS class for a configured colour name; unknown names (including hostile ones) map to the neutral palette. */
export function colorClass(color: string): string {
  const c = color.trim().toLowerCase();
  return `tfa-${Object.hasOwn(PALETTES, c) ? c : FALLBACK_PALETTE}`;
}
