/**
 * What a browser's error page says (issue 15 §1): a plain-words title and sentence for what happened, and the one
 * next step that can help, from the error's status and public hints. Non-browser clients keep upstream's
 * `Error: <message>`; the page shows that message only in the small print, beside the request id.
 */
import type { ErrorHint } from '../errors.js';

export interface ErrorView {
  title: string;
  text: string;
  /** The next step: a link (an app URL we validated, or a path on this server). */
  action?: { label: string; href: string };
}

export interface ErrorViewInput {
  status: number;
  hint: ErrorHint;
  /**
   * Where to start again in the routed portal when the app is not known: its `P/profile`, which shows a signed-in
   * browser the signed-in page and signs anyone else in (the portal root answers a signed-in browser with text).
   * Absent when the link named no portal.
   */
  startPath?: string;
  /** The default portal's root path, if one is configured (where an unknown portal's page sends the user). */
  homePath?: string;
}

const QUOTE = 'If it happens again, ask your administrator for help and quote the request ID below.';

export function errorView(o: ErrorViewInput): ErrorView {
  const provider = o.hint.provider ?? 'The identity provider';
  const again = o.hint.returnUrl ?? o.startPath;
  const tryAgain = again === undefined ? undefined : { label: 'Try again', href: again };
  const startAgain = again === undefined ? undefined : { label: 'Start again', href: again };
  switch (o.hint.reason) {
    case 'cancelled':
      return {
        title: 'Sign-in was cancelled',
        text: `The sign-in was cancelled at ${o.hint.provider ?? 'the identity provider'}, or it was not allowed there.`,
        action: tryAgain,
      };
    case 'provider-error':
      return {
        title: `${provider} could not sign you in`,
        text: `It sent you back with an error. ${QUOTE}`,
        action: tryAgain,
      };
    case 'client-rejected':
      return {
        title: `${provider} did not accept this sign-in service`,
        text: `Its credentials at the identity provider are wrong or have expired, which an administrator must fix. ${QUOTE}`,
        action: tryAgain,
      };
    case 'no-portal':
      return {
        title: 'This sign-in page does not exist',
        text: 'The link you followed names a portal this server does not have. Check the link, or go back to the app you came from.',
        action: o.homePath === undefined ? undefined : { label: 'Go to the sign-in page', href: o.homePath },
      };
    case 'no-provider':
      return {
        title: 'This way of signing in is not offered',
        text: 'The link you followed names a provider this portal does not (or no longer) offer.',
        action: o.startPath === undefined ? undefined : { label: 'Choose how to sign in', href: o.startPath },
      };
  }
  switch (o.status) {
    case 403:
      return {
        title: 'This request was refused',
        text: "It did not come from this sign-in service's own pages. Open the page again and use its button there.",
        action: startAgain,
      };
    case 400:
      return {
        title: 'This sign-in link is not valid',
        text: 'It is incomplete or was changed on the way.',
        action: startAgain,
      };
    case 401:
      return {
        title: 'This sign-in link was already used or has expired',
        text: 'A sign-in link works once, for a few minutes, and only in the browser that started the sign-in.',
        action: startAgain,
      };
    case 502:
      return {
        title: `${provider} could not be reached`,
        text: 'It did not answer, or answered with an error: it may be down or restarting. Try again in a minute.',
        action: tryAgain,
      };
    case 503:
      return {
        title: 'Sign-in is unavailable for a moment',
        text: 'A service that sign-in depends on did not answer. Try again in a minute.',
        action: tryAgain,
      };
    default:
      return {
        title: o.status >= 500 ? 'Something went wrong on our side' : 'The sign-in could not be completed',
        text: o.status >= 500 ? `The sign-in could not be completed. ${QUOTE}` : QUOTE,
        action: startAgain,
      };
  }
}
